/**
 * The one way to turn JSON or YAML text that a person or another process can
 * touch into a validated value: syntax errors say line and column, schema
 * errors say the dot path, what was expected and what was found, and both
 * name the file.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type ConfigIssue, DataFileError, type DataFormat, summarizeIssues } from '../errors/index.js';
import { errorCode } from './error-code.js';
import { findJsonSyntaxError, positionAt } from './json-syntax.js';
import { toConfigIssues } from './zod-issues.js';

/** What to parse, what it is called in errors and what it must match. */
export interface ParseDataInput<T> {
  text: string;
  /** The file the text came from (or `stdin`…), named in every error. */
  where: string;
  /** Default: YAML for `.yml`/`.yaml` names, else JSON. */
  format?: DataFormat;
  /** Validates (and may transform) the parsed value; without it any JSON/YAML value passes. */
  schema?: z.ZodType<T>;
  /** Line number of the text's first line in its file (JSONL lines); default 1. */
  firstLine?: number;
}

/** The parsed value, or the error saying what is wrong with the text. */
export type DataParseResult<T> = { ok: true; value: T } | { ok: false; error: DataFileError };

const FORMAT_NAME: Record<DataFormat, string> = { json: 'JSON', yaml: 'YAML' };

/** JSON or YAML, from a file name. */
export function formatOf(file: string): DataFormat {
  const extension = extname(file).toLowerCase();
  return extension === '.yml' || extension === '.yaml' ? 'yaml' : 'json';
}

function syntaxError(input: {
  where: string;
  format: DataFormat;
  text: string;
  firstLine: number;
  errors: { offset: number; message: string }[];
}): DataFileError {
  const name = FORMAT_NAME[input.format];
  const issues: ConfigIssue[] = input.errors.map((error) => {
    const position = positionAt(input.text, error.offset);
    return { path: '', line: position.line + input.firstLine - 1, column: position.column, message: `invalid ${name}: ${error.message}` };
  });
  const first = issues[0] as ConfigIssue & { line: number; column: number };
  const syntax = { line: first.line, column: first.column, detail: (input.errors[0] as { message: string }).message };
  return new DataFileError({
    file: input.where,
    format: input.format,
    issues,
    syntax,
    problem: `invalid ${name} at line ${syntax.line}, column ${syntax.column}: ${syntax.detail}`,
  });
}

function parseSyntax(input: { text: string; where: string; format: DataFormat; firstLine: number }): DataParseResult<unknown> {
  if (input.format === 'yaml') {
    const document = parseDocument(input.text, { prettyErrors: false });
    if (document.errors.length === 0) return { ok: true, value: document.toJS() as unknown };
    const errors = document.errors.map((error) => ({ offset: error.pos[0], message: error.message }));
    return { ok: false, error: syntaxError({ ...input, errors }) };
  }
  try {
    return { ok: true, value: JSON.parse(input.text) as unknown };
  } catch (error) {
    // The scanner agrees with JSON.parse; should it ever not, the engine's own words still say what is wrong.
    const found = findJsonSyntaxError(input.text) ?? { offset: 0, message: error instanceof Error ? error.message : String(error) };
    return { ok: false, error: syntaxError({ ...input, errors: [found] }) };
  }
}

/** Validates a value already parsed (or built in memory) against `schema`; the issues say the dot path, expected and found. */
export function validateData<T>(input: { value: unknown; where: string; schema: z.ZodType<T>; format?: DataFormat }): DataParseResult<T> {
  const validated = input.schema.safeParse(input.value);
  if (validated.success) return { ok: true, value: validated.data };
  const issues = toConfigIssues(validated.error, input.value, input.schema);
  const format = input.format ?? formatOf(input.where);
  return { ok: false, error: new DataFileError({ file: input.where, format, issues, problem: summarizeIssues(issues) }) };
}

/** Parses and validates without throwing: the value, or a DataFileError to report or wrap. */
export function safeParseDataText<T = unknown>(input: ParseDataInput<T>): DataParseResult<T> {
  const format = input.format ?? formatOf(input.where);
  const parsed = parseSyntax({ text: input.text, where: input.where, format, firstLine: input.firstLine ?? 1 });
  if (!parsed.ok || input.schema === undefined) return parsed as DataParseResult<T>;
  return validateData({ value: parsed.value, where: input.where, schema: input.schema, format });
}

/** Parses and validates `text`; throws DataFileError naming `where`, the line and column or the dot path. */
export function parseDataText<T = unknown>(input: ParseDataInput<T>): T {
  const result = safeParseDataText(input);
  if (!result.ok) throw result.error;
  return result.value;
}

/**
 * Parses one line of a JSONL file: errors say `<file> line <n>` and the column.
 * Returns the DataFileError rather than throwing: a torn last line is often fine.
 */
export function safeParseJsonLine<T = unknown>(input: {
  text: string;
  file: string;
  line: number;
  schema?: z.ZodType<T>;
}): DataParseResult<T> {
  return safeParseDataText({
    text: input.text,
    where: `${input.file} line ${input.line}`,
    format: 'json',
    schema: input.schema,
    firstLine: input.line,
  });
}

/**
 * Reads, parses and validates a JSON or YAML file. Undefined when the file does
 * not exist; DataFileError when it is not valid; other read errors as they are.
 */
export async function readDataFile<T = unknown>(input: {
  file: string;
  format?: DataFormat;
  schema?: z.ZodType<T>;
}): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(input.file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  return parseDataText({ text, where: input.file, format: input.format, schema: input.schema });
}
