/**
 * Reading results.csv back: an experiment directory that kept only the deterministic table (the file a
 * project commits) still has its statistics. Columns are matched by name, so a table with fewer metric
 * columns reads too; a cell that is not a number is an error naming the file, the line and the column.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { UsageError } from '../errors/index.js';
import { METRIC_COLUMNS, type ResultRow } from './result-row.js';

/** Columns every results table has. */
const REQUIRED = ['design', 'seed', 'repetition', 'status', 'costUsd'] as const;

/** The metric columns that stay empty for real runs (the sim's quality model). */
const NULLABLE = new Set(['defectsIntroduced', 'defectsCaught', 'defectsEscaped', 'escapeRate']);

/** The rows of a results.csv text; `file` names it in errors. */
export function parseResultsCsv(input: { text: string; file: string }): ResultRow[] {
  const { file } = input;
  let table: string[][];
  try {
    table = parseCsv(input.text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (error) {
    throw new UsageError(`${file} is not valid CSV: ${error instanceof Error ? error.message : String(error)}`);
  }
  const [header, ...lines] = table;
  const missing = REQUIRED.filter((column) => !header?.includes(column));
  if (header === undefined || missing.length > 0) {
    throw new UsageError(
      `${file} lacks the column(s) ${missing.join(', ')}: expected the header results.csv is written with (${REQUIRED.join(', ')}, …).`,
    );
  }
  const numeric = new Set<string>(['seed', 'repetition', ...METRIC_COLUMNS]);
  return lines.map((cells, index) => {
    const row: Record<string, string | number | null> = {};
    header.forEach((column, at) => {
      const cell = cells[at] ?? '';
      if (!numeric.has(column)) {
        row[column] = cell;
        return;
      }
      if (cell === '' && NULLABLE.has(column)) {
        row[column] = null;
        return;
      }
      const value = Number(cell);
      if (cell.trim() === '' || !Number.isFinite(value)) {
        throw new UsageError(`${file} line ${index + 2}, column ${column}: expected a number, found "${cell}".`);
      }
      row[column] = value;
    });
    return row as unknown as ResultRow;
  });
}
