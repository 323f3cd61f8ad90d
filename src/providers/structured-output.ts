import type { z } from 'zod';
import { type Closeness, readLenient, type Verdict } from './lenient-json.js';

// A repair request lists at most this many problems: the first ones are enough to act on.
const MAX_PROBLEMS = 12;

/** What a structured answer gave: the value and how it was read, or the problems for a repair request. */
export type StructuredParse<T> =
  | {
      value: T;
      problems: [];
      /** What the lenient reading did to get the value ("fence", "syntax repaired (…)", "unwrapped \"plan\""); empty for clean JSON. */
      recovered: string[];
    }
  | { value: undefined; problems: string[] };

function verdictOf<S extends z.ZodType>(input: {
  value: unknown;
  schema: S;
  check: ((value: z.infer<S>) => string[]) | undefined;
}): Verdict<z.infer<S>> {
  const { value, schema, check } = input;
  const shaped = value !== null && typeof value === 'object';
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const { issues } = parsed.error;
    const closeness: Closeness = {
      shaped,
      schemaValid: false,
      rootMatched: issues.every((issue) => issue.path.length > 0),
      issues: issues.length,
      depth: Math.max(0, ...issues.map((issue) => issue.path.length)),
    };
    return {
      ok: false,
      problems: issues.slice(0, MAX_PROBLEMS).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`),
      closeness,
    };
  }
  const problems = check?.(parsed.data) ?? [];
  if (problems.length === 0) return { ok: true, value: parsed.data };
  return { ok: false, problems, closeness: { shaped, schemaValid: true, rootMatched: true, issues: problems.length, depth: 0 } };
}

/**
 * Validates a model's structured answer with zod (and `check`, for what a schema
 * cannot say), reading it leniently first (see `readLenient`): the value and what the
 * reading did, or the problems to send back in a repair request.
 */
export function parseStructured<S extends z.ZodType>(
  text: string,
  schema: S,
  check?: (value: z.infer<S>) => string[],
): StructuredParse<z.infer<S>> {
  const read = readLenient(text, (value) => verdictOf({ value, schema, check }));
  if ('problems' in read) return { value: undefined, problems: read.problems };
  return { value: read.value, problems: [], recovered: read.recovered };
}
