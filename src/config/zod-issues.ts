import type { z } from 'zod';
import type { ConfigIssue } from '../errors/index.js';

/** Dot path of a zod issue (`agents.2.max_concurrent_tasks`). */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((part) => String(part)).join('.');
}

/** Describes a value briefly for "found …" in error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Turns zod issues into config issues that say what was expected and what was found. */
export function toConfigIssues(error: z.ZodError, input: unknown): ConfigIssue[] {
  return error.issues.map((issue) => {
    const found = describeValue(valueAt(input, issue.path));
    const message = issue.message.includes('received') ? issue.message : `${issue.message} (found ${found})`;
    return { path: issuePath(issue.path), message };
  });
}
