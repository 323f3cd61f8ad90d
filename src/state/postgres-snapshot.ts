/**
 * The copy of a run's rows a process keeps between updates: every entry checked, with the JSON text
 * it was stored as, its place in its list, and the seq it was read at. Rows changed since are applied
 * to it (so catching up costs what changed, not the run), and a new state is compared with it entry by
 * entry (so an update writes only the rows it changed).
 */
import { StateCorruptedError } from '../errors/index.js';
import {
  BUDGET_KEY,
  COLLECTIONS,
  type CollectionName,
  checkEntry,
  entryToRow,
  type JsonRow,
  RUN_SPEC,
  rowToEntry,
  runHeaderSchema,
} from './postgres-rows.js';
import { TEAM_STATE_VERSION, type TeamState } from './team-state.js';

/** One entry as stored. */
export interface StoredEntry {
  readonly value: unknown;
  readonly text: string;
  readonly position: number;
}

/** A run's rows at one seq. Never changed once made: a newer version is a new snapshot. */
export interface Snapshot {
  readonly seq: number;
  readonly version: number;
  readonly run: StoredEntry;
  readonly collections: ReadonlyMap<CollectionName, ReadonlyMap<string, StoredEntry>>;
}

/** A row of a table, as the change query returns it. */
export interface TableRow {
  readonly table: CollectionName | 'runs';
  readonly row: JsonRow;
}

/** The rows one update writes: per collection, the rows to insert or update and the keys to mark deleted. */
export interface RowChanges {
  readonly run: JsonRow;
  readonly collections: ReadonlyMap<CollectionName, { upserts: JsonRow[]; deletes: string[] }>;
}

/** `base` with `rows` applied (all of a run's rows when `base` is undefined). Throws StateCorruptedError on a row that is not valid. */
export function applyRows(input: { base: Snapshot | undefined; rows: readonly TableRow[]; where: string }): Snapshot {
  const { base, where } = input;
  const runRow = input.rows.find((entry) => entry.table === 'runs')?.row;
  if (runRow === undefined) throw new StateCorruptedError({ file: where, problem: 'table runs has no row for the run.' });
  const header = runHeaderSchema.safeParse(runRow);
  if (!header.success)
    throw new StateCorruptedError({ file: where, problem: `table runs, row of the run: column version or seq is not a valid number.` });
  if (header.data.version !== TEAM_STATE_VERSION) {
    throw new StateCorruptedError({
      file: where,
      problem: `table runs, row of the run: column version is ${header.data.version}, this agent-team reads version ${TEAM_STATE_VERSION}.`,
    });
  }
  const runValue = rowToEntry({ ...RUN_SPEC, row: runRow, rowName: `"${String(runRow.run_key)}"`, where });
  const collections = new Map<CollectionName, Map<string, StoredEntry>>();
  for (const spec of COLLECTIONS) collections.set(spec.table, new Map(base?.collections.get(spec.table)));
  for (const { table, row } of input.rows) {
    if (table === 'runs') continue;
    const spec = COLLECTIONS.find((candidate) => candidate.table === table);
    const entries = collections.get(table);
    if (spec === undefined || entries === undefined) continue;
    const key = String(row.key);
    if (row.deleted === true) {
      entries.delete(key);
      continue;
    }
    const value = deepFreeze(rowToEntry({ ...spec, row, rowName: `"${key}"`, where }));
    entries.set(key, { value, text: JSON.stringify(value), position: Number(row.position) });
  }
  if (!collections.get('budget')?.has(BUDGET_KEY))
    throw new StateCorruptedError({ file: where, problem: 'table budget has no row for the run.' });
  return { seq: header.data.seq, version: header.data.version, run: stored(runValue, 0), collections };
}

// Each snapshot's entries in list order, worked out once: reads and updates of one version share it.
const orderedBySnapshot = new WeakMap<Snapshot, Map<CollectionName, [string, StoredEntry][]>>();

function ordered(snapshot: Snapshot, table: CollectionName): [string, StoredEntry][] {
  let tables = orderedBySnapshot.get(snapshot);
  if (tables === undefined) {
    tables = new Map();
    orderedBySnapshot.set(snapshot, tables);
  }
  let entries = tables.get(table);
  if (entries === undefined) {
    entries = [...(snapshot.collections.get(table) ?? new Map<string, StoredEntry>())].sort(([, a], [, b]) => a.position - b.position);
    tables.set(table, entries);
  }
  return entries;
}

/** A state built from a snapshot's entries, each made by `entry`. */
function buildState(snapshot: Snapshot, entry: (stored: StoredEntry) => unknown): TeamState {
  const pairs = (table: CollectionName): [string, unknown][] => ordered(snapshot, table).map(([key, stored]) => [key, entry(stored)]);
  const list = (table: CollectionName): unknown[] => ordered(snapshot, table).map(([, stored]) => entry(stored));
  const budget = snapshot.collections.get('budget')?.get(BUDGET_KEY);
  return {
    version: snapshot.version,
    seq: snapshot.seq,
    run: entry(snapshot.run),
    agents: Object.fromEntries(pairs('agents')),
    tasks: list('tasks'),
    blockers: list('blockers'),
    messages: list('messages'),
    budget: { ...(budget === undefined ? {} : (entry(budget) as object)), reservations: Object.fromEntries(pairs('reservations')) },
  } as TeamState;
}

/** The team state a snapshot holds; deeply frozen, shared by every reader of this snapshot. */
export function assembleState(snapshot: Snapshot): TeamState {
  // The entries are frozen already: only the new containers are frozen here.
  return deepFreeze(buildState(snapshot, (stored) => stored.value));
}

/** A copy of the state a snapshot holds that an update may change: each entry parsed from its stored text (faster than a clone). */
export function mutableState(snapshot: Snapshot): TeamState {
  return buildState(snapshot, (stored) => JSON.parse(stored.text));
}

/** The entries of each collection in `state`, as [key, entry, position]; a problem when the state is not shaped like one. */
function entriesOf(state: TeamState): Map<CollectionName, [string, unknown][]> | string {
  const byTable = new Map<CollectionName, [string, unknown][]>();
  const isRecord = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === 'object' && !Array.isArray(value);
  for (const table of ['tasks', 'blockers', 'messages'] as const) {
    const list: unknown = state[table];
    if (!Array.isArray(list)) return `${table}: expected an array`;
    const seen = new Set<string>();
    const entries: [string, unknown][] = [];
    for (const [index, entry] of list.entries()) {
      const id = isRecord(entry) ? entry.id : undefined;
      if (typeof id !== 'string') return `${table}.${index}.id: expected a string`;
      if (seen.has(id)) return `${table}.${index}.id: another entry of ${table} has the id "${id}"; each ${table} row is keyed by its id`;
      seen.add(id);
      entries.push([id, entry]);
    }
    byTable.set(table, entries);
  }
  if (!isRecord(state.agents)) return 'agents: expected an object';
  byTable.set('agents', Object.entries(state.agents));
  if (!isRecord(state.budget) || !isRecord(state.budget.reservations)) return 'budget.reservations: expected an object';
  const { reservations, ...book } = state.budget;
  byTable.set('reservations', Object.entries(reservations));
  byTable.set('budget', [[BUDGET_KEY, book]]);
  return byTable;
}

/**
 * Compares `state` (an update's result) with `base` entry by entry. Only the entries whose JSON or
 * place changed are checked with their schema and written. `base` undefined: every entry is new.
 */
export function diffState(input: {
  base: Snapshot | undefined;
  state: TeamState;
}): { ok: true; snapshot: Snapshot; changes: RowChanges } | { ok: false; problem: string } {
  const { base, state } = input;
  if (state.version !== TEAM_STATE_VERSION) return { ok: false, problem: `version: expected ${TEAM_STATE_VERSION}` };
  const byTable = entriesOf(state);
  if (typeof byTable === 'string') return { ok: false, problem: byTable };
  let run = base?.run;
  if (run === undefined || !sameJson(state.run, run.value)) {
    const checked = checkEntry(RUN_SPEC.schema, state.run);
    if (!checked.ok) return { ok: false, problem: `run: ${checked.problem}` };
    run = stored(checked.value, 0);
  }
  const collections = new Map<CollectionName, Map<string, StoredEntry>>();
  const changes = new Map<CollectionName, { upserts: JsonRow[]; deletes: string[] }>();
  for (const spec of COLLECTIONS) {
    const before = base?.collections.get(spec.table) ?? new Map<string, StoredEntry>();
    const after = new Map(before);
    const upserts: JsonRow[] = [];
    const present = new Set<string>();
    for (const [position, [key, entry]] of (byTable.get(spec.table) ?? []).entries()) {
      present.add(key);
      const old = before.get(key);
      if (old !== undefined && old.position === position && sameJson(entry, old.value)) continue;
      const checked = checkEntry(spec.schema, entry);
      const where = spec.table === 'budget' ? 'budget' : `${spec.table}["${key}"]`;
      if (!checked.ok) return { ok: false, problem: `${where}: ${checked.problem}` };
      const next = stored(checked.value, position);
      // A change of key order only, say, is no change once checked.
      if (old !== undefined && old.position === position && old.text === next.text) continue;
      after.set(key, next);
      upserts.push({ key, position, ...entryToRow({ columns: spec.columns, keyField: spec.keyField, entry: next.value as object }) });
    }
    const deletes = [...before.keys()].filter((key) => !present.has(key));
    for (const key of deletes) after.delete(key);
    collections.set(spec.table, after);
    if (upserts.length > 0 || deletes.length > 0) changes.set(spec.table, { upserts, deletes });
  }
  const snapshot: Snapshot = { seq: state.seq, version: state.version, run, collections };
  const runRow = { version: state.version, seq: state.seq, ...entryToRow({ columns: RUN_SPEC.columns, entry: run.value as object }) };
  return { ok: true, snapshot, changes: { run: runRow, collections: changes } };
}

/**
 * True when `a` and `b` serialize to the same JSON up to key order (undefined members are absent, as in
 * JSON): comparing without building the text is what keeps an update of a large run cheap.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, index) => sameJson(item, other[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let count = 0;
  for (const key in left) {
    if (left[key] === undefined) continue;
    count += 1;
    if (!Object.hasOwn(right, key) || !sameJson(left[key], right[key])) return false;
  }
  for (const key in right) if (right[key] !== undefined) count -= 1;
  return count === 0;
}

function stored(value: unknown, position: number): StoredEntry {
  const frozen = deepFreeze(value);
  return { value: frozen, text: JSON.stringify(frozen), position };
}

/** Freezes a value in depth so that a shared entry cannot be changed by accident. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
