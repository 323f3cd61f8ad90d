/**
 * How the team state maps onto rows: the run row, one row per task, blocker, message, agent and
 * reservation, and the budget row. Fields that queries and constraints need are columns; the rest
 * of an entry is the row's `data` JSON. Every row read back is checked with the entry's own schema,
 * so a row an operator broke is reported by table, row and column.
 */
import { z } from 'zod';
import { StateCorruptedError } from '../errors/index.js';
import { agentStateSchema, blockerSchema, budgetStateSchema, messageSchema, runSchema, taskSchema } from './team-state.js';

/** A field of an entry kept in a column of its own. */
export interface ColumnMapping {
  readonly column: string;
  readonly field: string;
}

/** The tables holding many entries of a run (the budget is one of them, with a single row). */
export type CollectionName = 'tasks' | 'blockers' | 'messages' | 'agents' | 'reservations' | 'budget';

/** How the entries of one collection become rows. */
export interface CollectionSpec {
  readonly table: CollectionName;
  readonly columns: readonly ColumnMapping[];
  readonly schema: z.ZodType;
  /** Lists keep the row's key in the entry's `id` field; records and the budget keep it outside the entry. */
  readonly keyField: 'id' | undefined;
}

/** The key of the budget's single row. */
export const BUDGET_KEY = 'budget';

const budgetRowSchema = budgetStateSchema.omit({ reservations: true });
const reservationSchema = budgetStateSchema.shape.reservations.valueType;

/** The state's part kept in each collection table, in the order a state is assembled. */
export const COLLECTIONS: readonly CollectionSpec[] = [
  {
    table: 'tasks',
    keyField: 'id',
    schema: taskSchema,
    columns: [
      { column: 'role', field: 'role' },
      { column: 'status', field: 'status' },
      { column: 'assignee', field: 'assignee' },
      { column: 'fence', field: 'fence' },
    ],
  },
  {
    table: 'blockers',
    keyField: 'id',
    schema: blockerSchema,
    columns: [
      { column: 'task_id', field: 'taskId' },
      { column: 'status', field: 'status' },
    ],
  },
  { table: 'messages', keyField: 'id', schema: messageSchema, columns: [] },
  {
    table: 'agents',
    keyField: undefined,
    schema: agentStateSchema,
    columns: [
      { column: 'role', field: 'role' },
      { column: 'status', field: 'status' },
    ],
  },
  {
    table: 'reservations',
    keyField: undefined,
    schema: reservationSchema,
    columns: [
      { column: 'agent_id', field: 'agentId' },
      { column: 'usd', field: 'usd' },
      { column: 'tokens', field: 'tokens' },
    ],
  },
  {
    table: 'budget',
    keyField: undefined,
    schema: budgetRowSchema,
    columns: [
      { column: 'limit_usd', field: 'limitUsd' },
      { column: 'limit_tokens', field: 'limitTokens' },
      { column: 'per_agent_usd', field: 'perAgentUsd' },
      { column: 'per_agent_tokens', field: 'perAgentTokens' },
      { column: 'spent_usd', field: 'spentUsd' },
      { column: 'spent_tokens', field: 'spentTokens' },
      { column: 'reserved_usd', field: 'reservedUsd' },
      { column: 'reserved_tokens', field: 'reservedTokens' },
    ],
  },
];

/** The run row's columns besides `run_key`, `version` and `seq`; fields a newer build adds go to `data`. */
export const RUN_COLUMNS: readonly ColumnMapping[] = [
  { column: 'id', field: 'id' },
  { column: 'feature', field: 'feature' },
  { column: 'status', field: 'status' },
  { column: 'simulated', field: 'simulated' },
  { column: 'options', field: 'options' },
  { column: 'created_at', field: 'createdAt' },
  { column: 'updated_at', field: 'updatedAt' },
  { column: 'ended_at', field: 'endedAt' },
  { column: 'end_reason', field: 'endReason' },
  { column: 'integration_summary', field: 'integrationSummary' },
  { column: 'resumes', field: 'resumes' },
  { column: 'owner', field: 'owner' },
];

/** The run row as the store checks it. */
export const RUN_SPEC = { table: 'runs', columns: RUN_COLUMNS, schema: runSchema } as const;

/** A row as `to_jsonb(row)` returns it. */
export type JsonRow = Record<string, unknown>;

/** The JSON for `jsonb_populate_record` of an entry: its column fields, and the rest as `data`. */
export function entryToRow(input: { columns: readonly ColumnMapping[]; keyField?: 'id' | undefined; entry: object }): JsonRow {
  const data: Record<string, unknown> = { ...(input.entry as Record<string, unknown>) };
  const row: JsonRow = {};
  for (const { column, field } of input.columns) {
    row[column] = data[field] ?? null;
    delete data[field];
  }
  if (input.keyField !== undefined) delete data[input.keyField];
  row.data = data;
  return row;
}

/** The entry a row holds, not checked: its data with the key and the columns put in. Throws StateCorruptedError when data is not an object. */
export function rowEntry(input: {
  table: string;
  columns: readonly ColumnMapping[];
  keyField?: 'id' | undefined;
  row: JsonRow;
  rowName: string;
  where: string;
}): Record<string, unknown> {
  const { row } = input;
  const data = row.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new StateCorruptedError({
      location: 'database',
      file: input.where,
      problem: `table ${input.table}, row ${input.rowName}: column data must hold a JSON object, found ${describe(data)}.`,
    });
  }
  const entry: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  if (input.keyField !== undefined) entry[input.keyField] = row.key;
  for (const { column, field } of input.columns) entry[field] = row[column];
  return entry;
}

/**
 * The entry a row holds, checked with its schema (defaults filled in, fields in schema order).
 * Throws StateCorruptedError naming the table, the row and the column when it is not valid.
 */
export function rowToEntry(input: {
  table: string;
  columns: readonly ColumnMapping[];
  schema: z.ZodType;
  keyField?: 'id' | undefined;
  row: JsonRow;
  /** How the row is named in errors, e.g. `"T1"`. */
  rowName: string;
  where: string;
}): unknown {
  const { table, rowName, where } = input;
  const entry = rowEntry(input);
  const parsed = input.schema.safeParse(entry);
  if (parsed.success) return parsed.data;
  const columnOf = new Map(input.columns.map(({ column, field }) => [field, column]));
  if (input.keyField !== undefined) columnOf.set(input.keyField, 'key');
  const issues = parsed.error.issues.map((issue) => {
    const [first, ...rest] = issue.path.map(String);
    const column = first === undefined ? 'data' : (columnOf.get(first) ?? 'data');
    const field = issue.path.map(String).join('.') || '(the row)';
    const place =
      column === 'data'
        ? `field ${field} (column data)`
        : `field ${field} (column ${column}${rest.length > 0 ? ` → ${rest.join('.')}` : ''})`;
    return `${place}: ${issue.message}, found ${describe(valueAt(entry, issue.path))}`;
  });
  throw new StateCorruptedError({
    location: 'database',
    file: where,
    problem: `table ${table}, row ${rowName}: ${issues.join('; ')}.`,
    cause: parsed.error,
  });
}

/** An entry our own update produced, checked with its schema; the issues as `path: message` when it is not valid. */
export function checkEntry(schema: z.ZodType, entry: unknown): { ok: true; value: unknown } | { ok: false; problem: string } {
  const parsed = schema.safeParse(entry);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problem: parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(entry)'}: ${issue.message}`).join('; '),
  };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The schema of the state's version and seq, checked on the run row. */
export const runHeaderSchema = z.object({ version: z.number().int(), seq: z.number().int().nonnegative() });
