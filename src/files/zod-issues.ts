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

interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
}

function definitionOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** The keys an object schema allows at `path`, or undefined when the path leads elsewhere. */
export function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let current: z.ZodType | undefined = schema;
  let index = 0;
  while (current !== undefined) {
    const definition = definitionOf(current);
    if (definition.innerType !== undefined) {
      current = definition.innerType; // optional, nullable, default, prefault
      continue;
    }
    if (index === path.length)
      return definition.type === 'object' && definition.shape !== undefined ? Object.keys(definition.shape) : undefined;
    const key = path[index];
    index += 1;
    if (definition.type === 'object') current = definition.shape?.[String(key)];
    else if (definition.type === 'array') current = definition.element;
    else if (definition.type === 'record') current = definition.valueType;
    else return undefined;
  }
  return undefined;
}

/** Turns zod issues into config issues that say what was expected and what was found. */
export function toConfigIssues(error: z.ZodError, input: unknown, schema?: z.ZodType): ConfigIssue[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = schema === undefined ? undefined : allowedKeysAt(schema, issue.path);
      const keys = issue.keys.map((key) => `"${key}"`).join(', ');
      return {
        path: issuePath(issue.path),
        message: `unknown key ${keys}${allowed === undefined ? '' : `; expected only ${allowed.join(', ')}`} (check the spelling)`,
      };
    }
    const found = describeValue(valueAt(input, issue.path));
    const message = issue.message.includes('received') ? issue.message : `${issue.message} (found ${found})`;
    return { path: issuePath(issue.path), message };
  });
}
