/**
 * Where batch tasks come from: a JSON array file, a CSV file with a header row,
 * or lines of text (stdin) all sent to one agent.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { ConfigError, UsageError } from '../errors/index.js';
import { readInputFile, safeParseDataText } from '../files/index.js';
import { parseBatchTasks, type BatchTaskInput } from './batch-tasks.js';

/** Loads a JSON array of tasks; errors name the file, the task index and the field. */
export async function loadTasksFile(file: string): Promise<BatchTaskInput[]> {
  const text = await readInputFile({ file, what: 'tasks file' });
  const parsed = safeParseDataText({ text, where: file, format: 'json' });
  if (!parsed.ok) throw ConfigError.fromDataFileError(parsed.error, 'A tasks file is a JSON array: [{"agent": "sim", "prompt": "…"}].');
  const { value } = parsed;
  if (!Array.isArray(value)) {
    throw new ConfigError({
      file,
      issues: [{ path: '', message: `expected a JSON array of tasks, found ${value === null ? 'null' : typeof value}` }],
    });
  }
  return parseBatchTasks({ value, source: file });
}

const CSV_COLUMNS = ['agent', 'prompt', 'tag', 'timeout', 'retries', 'schema'] as const;

// Cells are text; numbers and JSON are read here so the task schema judges the real values.
function cellValue(column: string, cell: string): unknown {
  if (column === 'timeout' || column === 'retries') {
    const number = Number(cell);
    return cell.trim() !== '' && Number.isFinite(number) ? number : cell;
  }
  if (column === 'schema') {
    // Not JSON: the task schema then says that a schema must be an object.
    const parsed = safeParseDataText({ text: cell, where: 'the schema cell', format: 'json' });
    return parsed.ok ? parsed.value : cell;
  }
  return cell;
}

/** Parses CSV text with a header row (`agent,prompt[,tag,timeout,retries,schema]`); quoted cells may hold commas, quotes and newlines. */
export function parseCsvTasks(input: { text: string; source: string }): BatchTaskInput[] {
  let rows: string[][];
  try {
    rows = parseCsv(input.text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (error) {
    throw new ConfigError({
      file: input.source,
      issues: [{ path: '', message: `not valid CSV: ${error instanceof Error ? error.message : String(error)}` }],
    });
  }
  const [header, ...records] = rows;
  if (header === undefined)
    throw new ConfigError({
      file: input.source,
      issues: [{ path: '', message: 'the CSV file is empty; expected a header row "agent,prompt" and one row per task' }],
    });
  const columns = header.map((name) => name.trim());
  const unknown = columns.filter((name) => !(CSV_COLUMNS as readonly string[]).includes(name));
  const missing = ['agent', 'prompt'].filter((name) => !columns.includes(name));
  if (unknown.length > 0 || missing.length > 0) {
    const problems = [...missing.map((name) => `missing column "${name}"`), ...unknown.map((name) => `unknown column "${name}"`)];
    throw new ConfigError({
      file: input.source,
      issues: [
        { path: 'header', message: `${problems.join(', ')}; expected the columns ${CSV_COLUMNS.join(', ')} (agent and prompt required)` },
      ],
    });
  }
  const value = records.map((record) => {
    const task: Record<string, unknown> = {};
    columns.forEach((column, index) => {
      const cell = record[index] ?? '';
      // An empty optional cell means "not given", so the batch default applies.
      if (cell !== '' || column === 'agent' || column === 'prompt') task[column] = cellValue(column, cell);
    });
    return task;
  });
  return parseBatchTasks({
    value,
    source: input.source,
    hint: 'Task [0] is the first row after the header; optional cells may be left empty.',
  });
}

/** Loads a CSV tasks file. */
export async function loadCsvTasks(file: string): Promise<BatchTaskInput[]> {
  return parseCsvTasks({ text: await readInputFile({ file, what: 'CSV tasks file' }), source: file });
}

/** One task per non-blank line, all for `agent` (for `--stdin`). */
export function tasksFromLines(input: { text: string; agent: string | undefined; source?: string }): BatchTaskInput[] {
  if (input.agent === undefined || input.agent.trim() === '') {
    throw new UsageError('Prompts from stdin need an agent for all of them: add --agent, e.g. --agent sim or --agent claude.');
  }
  const lines = input.text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new UsageError('No prompts on stdin: expected one prompt per line.');
  return parseBatchTasks({ value: lines.map((prompt) => ({ agent: input.agent, prompt })), source: input.source ?? 'stdin' });
}

/** Reads a whole stream as UTF-8 text. */
export async function readStreamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
