/**
 * Checks a job's output against the task's JSON Schema with Ajv, the standard
 * validator: draft-07 by default, draft 2019-09 / 2020-12 when `$schema` says so.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { safeParseDataText } from '../files/index.js';

/** A compiled schema, or why it cannot be compiled. */
export type CompiledSchema = { validate: ValidateFunction; problem?: undefined } | { validate?: undefined; problem: string };

/** The outcome of checking one output. */
export type OutputCheck = { ok: true; value: unknown } | { ok: false; reason: string };

// Most batches repeat one schema across many tasks: compile each distinct one once.
const compiled = new Map<string, CompiledSchema>();

function validatorFor(schema: Record<string, unknown>): Ajv | Ajv2019 | Ajv2020 {
  const dialect = typeof schema['$schema'] === 'string' ? schema['$schema'] : '';
  // strict off: a hand-written schema with an unknown keyword or format should still validate what it can.
  const options = { allErrors: true, strict: false, logger: false } as const;
  if (dialect.includes('2020-12')) return new Ajv2020(options);
  if (dialect.includes('2019-09')) return new Ajv2019(options);
  return new Ajv(options);
}

/** Compiles a task's schema; a fresh Ajv per schema so tasks reusing one `$id` never clash. */
export function compileOutputSchema(schema: Record<string, unknown>): CompiledSchema {
  const key = JSON.stringify(schema);
  const known = compiled.get(key);
  if (known !== undefined) return known;
  let result: CompiledSchema;
  try {
    result = { validate: validatorFor(schema).compile(schema) };
  } catch (error) {
    result = { problem: error instanceof Error ? error.message : String(error) };
  }
  compiled.set(key, result);
  return result;
}

// Agent CLIs often wrap JSON in a Markdown fence even when asked not to.
const FENCED = /^```[a-zA-Z]*\s*\n([\s\S]*?)\n?```$/;

/** Parses `text` as JSON (one surrounding Markdown fence allowed) and validates it against `schema`. */
export function checkOutput(input: { text: string; schema: Record<string, unknown> }): OutputCheck {
  const trimmed = input.text.trim();
  const body = FENCED.exec(trimmed)?.[1] ?? trimmed;
  const parsed = safeParseDataText({ text: body, where: 'the output', format: 'json' });
  if (!parsed.ok) return { ok: false, reason: `the output is not JSON (${parsed.error.problem}), but the task has a schema` };
  const { value } = parsed;
  const { validate, problem } = compileOutputSchema(input.schema);
  if (validate === undefined) return { ok: false, reason: `the task's schema cannot be compiled: ${problem}` };
  if (validate(value)) return { ok: true, value };
  const errors = (validate.errors ?? [])
    .slice(0, 10)
    .map((error) => `${error.instancePath === '' ? '(root)' : error.instancePath} ${error.message ?? 'is invalid'}`);
  return { ok: false, reason: `the output does not follow the task's schema: ${errors.join('; ')}` };
}
