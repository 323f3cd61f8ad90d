/**
 * The copy of a run's rows a process keeps between updates: every entry checked, with the JSON text
 * it was stored as, its place in its list, and the seq it was read at. Rows changed since are applied
 * to it (so catching up costs what changed, not the run), and a new state is compared with it entry by
 * entry (so an update writes only the rows it changed; see postgres-diff.ts). A new version shares the
 * lists of the old that did not change, and its index of keys when no entry was added, removed or moved.
 */
import { StateCorruptedError } from '../errors/index.js';
import { z } from 'zod';
import {
  BUDGET_KEY,
  COLLECTIONS,
  type CollectionName,
  type CollectionSpec,
  type JsonRow,
  RUN_SPEC,
  rowEntry,
  rowToEntry,
  runHeaderSchema,
} from './postgres-rows.js';
import { TEAM_STATE_VERSION, type TeamState } from './team-state.js';

/** One entry as stored. */
export interface StoredEntry {
  readonly key: string;
  readonly value: unknown;
  readonly text: string;
  readonly position: number;
}

/** The entries of one collection in list order, and where each key is among them. */
export interface SnapshotCollection {
  readonly entries: readonly StoredEntry[];
  readonly index: ReadonlyMap<string, number>;
}

/** A run's rows at one seq. Never changed once made: a newer version is a new snapshot (sharing what did not change). */
export interface Snapshot {
  readonly seq: number;
  readonly version: number;
  readonly run: StoredEntry;
  readonly collections: ReadonlyMap<CollectionName, SnapshotCollection>;
  /** The seq of the commit that last wrote the tasks' levels and dependents (the plan's graph changed); 0: never. */
  readonly graphSeq: number;
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
  /**
   * When the plan's graph changed: the level (see taskLevels) and the tasks that depend on it (plan order) of each
   * task whose level or dependents changed (of every task when they were never written).
   */
  readonly graph?: readonly { key: string; level: number; dependents: readonly string[] }[] | undefined;
  /** True when a task was removed or moved: the plan's ids before this commit are no longer the first of its ids (runs.ids_seq). */
  readonly idsRewritten?: boolean | undefined;
}

/** The entry of `key` in `collection`, if any. */
export function entryAt(collection: SnapshotCollection | undefined, key: string): StoredEntry | undefined {
  const index = collection?.index.get(key);
  return index === undefined ? undefined : collection?.entries[index];
}

// Per entries array made by replacing entries in place: the array it was made from, and the places replaced.
const lineage = new WeakMap<readonly StoredEntry[], { entries: readonly StoredEntry[]; places: readonly number[] }>();

const EMPTY: SnapshotCollection = { entries: [], index: new Map() };

/** A collection of `entries` (any order): sorted by position, and indexed. */
export function collectionOf(entries: Iterable<StoredEntry>): SnapshotCollection {
  const sorted = [...entries].sort((a, b) => a.position - b.position);
  return { entries: sorted, index: new Map(sorted.map((entry, index) => [entry.key, index])) };
}

/**
 * `base` with `changed` applied (each entry new or replaced; `deleted` keys gone). An entry replaced at
 * its own place costs a copy of the list; anything else (a new key, a removal, a move) rebuilds it.
 */
export function changeCollection(
  base: SnapshotCollection | undefined,
  changed: readonly StoredEntry[],
  deleted: readonly string[] = [],
): { collection: SnapshotCollection; inPlace: boolean } {
  const from = base ?? EMPTY;
  if (changed.length === 0 && deleted.length === 0) return { collection: from, inPlace: true };
  const inPlace = deleted.length === 0 && changed.every((entry) => from.entries[entry.position]?.key === entry.key);
  if (inPlace) {
    const entries = from.entries.slice();
    for (const entry of changed) entries[entry.position] = entry;
    lineage.set(entries, { entries: from.entries, places: changed.map((entry) => entry.position) });
    return { collection: { entries, index: from.index }, inPlace };
  }
  const byKey = new Map(from.entries.map((entry) => [entry.key, entry]));
  for (const key of deleted) byKey.delete(key);
  for (const entry of changed) byKey.set(entry.key, entry);
  return { collection: collectionOf(byKey.values()), inPlace };
}

// The run row each run entry was read from, but for its seq.
const runRowKeys = new WeakMap<StoredEntry, string>();

/** What applying rows changed: per collection, the keys, and whether every one was replaced at its own place. */
export interface AppliedRows {
  readonly snapshot: Snapshot;
  readonly changed: ReadonlyMap<CollectionName, readonly string[]>;
  readonly inPlace: boolean;
}

/** `base` with `rows` applied (all of a run's rows when `base` is undefined). Throws StateCorruptedError on a row that is not valid. */
export function applyRows(input: { base: Snapshot | undefined; rows: readonly TableRow[]; where: string }): AppliedRows {
  const { base, where } = input;
  const runRow = input.rows.find((entry) => entry.table === 'runs')?.row;
  if (runRow === undefined)
    throw new StateCorruptedError({ location: 'database', file: where, problem: 'table runs has no row for the run.' });
  const header = runHeaderSchema.safeParse(runRow);
  if (!header.success)
    throw new StateCorruptedError({
      location: 'database',
      file: where,
      problem: `table runs, row of the run: column version or seq is not a valid number.`,
    });
  if (header.data.version !== TEAM_STATE_VERSION) {
    throw new StateCorruptedError({
      location: 'database',
      file: where,
      problem: `table runs, row of the run: column version is ${header.data.version}, this agent-team reads version ${TEAM_STATE_VERSION}.`,
    });
  }
  // The run row changes with every commit (its seq), the run itself seldom: a row equal but for the seq is not checked again.
  const runKey = JSON.stringify({ ...runRow, seq: null });
  const run =
    base !== undefined && runRowKeys.get(base.run) === runKey
      ? base.run
      : stored(rowToEntry({ ...RUN_SPEC, row: runRow, rowName: `"${String(runRow.run_key)}"`, where }), 0, 'run');
  runRowKeys.set(run, runKey);
  const rowsByTable = new Map<CollectionName, { changed: StoredEntry[]; deleted: string[] }>();
  for (const { table, row } of input.rows) {
    if (table === 'runs') continue;
    const spec = COLLECTIONS.find((candidate) => candidate.table === table);
    if (spec === undefined) continue;
    let rows = rowsByTable.get(table);
    if (rows === undefined) {
      rows = { changed: [], deleted: [] };
      rowsByTable.set(table, rows);
    }
    const key = String(row.key);
    if (row.deleted === true) {
      rows.deleted.push(key);
      continue;
    }
    const value = deepFreeze(
      checkedRow({ spec, row, rowName: `"${key}"`, where, previous: entryAt(base?.collections.get(table), key)?.value }),
    );
    rows.changed.push({ key, value, text: JSON.stringify(value), position: Number(row.position) });
  }
  const collections = new Map<CollectionName, SnapshotCollection>();
  const changed = new Map<CollectionName, string[]>();
  let inPlace = base !== undefined;
  for (const spec of COLLECTIONS) {
    const rows = rowsByTable.get(spec.table);
    const before = base?.collections.get(spec.table);
    if (base === undefined) {
      collections.set(spec.table, collectionOf(rows?.changed ?? []));
      continue;
    }
    const applied = changeCollection(before, rows?.changed ?? [], rows?.deleted);
    collections.set(spec.table, applied.collection);
    inPlace &&= applied.inPlace;
    if (rows !== undefined) changed.set(spec.table, [...rows.changed.map((entry) => entry.key), ...rows.deleted]);
  }
  if (entryAt(collections.get('budget'), BUDGET_KEY) === undefined)
    throw new StateCorruptedError({ location: 'database', file: where, problem: 'table budget has no row for the run.' });
  const snapshot = { seq: header.data.seq, version: header.data.version, run, collections, graphSeq: Number(runRow.graph_seq ?? 0) };
  return { snapshot, changed, inPlace };
}

/**
 * The entry a row holds, checked: against its schema, or, when the row replaces an entry this process
 * holds checked already, only the fields that differ from it (see checkChangedFields): another process
 * changed a task's status, its status is checked, not the whole task again.
 */
function checkedRow(input: { spec: CollectionSpec; row: JsonRow; rowName: string; where: string; previous: unknown }): unknown {
  const { spec } = input;
  if (objectShape(spec.schema) !== undefined && input.previous !== undefined) {
    const entry = rowEntry({ ...spec, row: input.row, rowName: input.rowName, where: input.where });
    const checked = checkChangedFields({ schema: spec.schema, entry, previous: input.previous });
    if (checked !== undefined) return checked;
  }
  return rowToEntry({ ...spec, row: input.row, rowName: input.rowName, where: input.where });
}

/**
 * `entry` checked against an object schema in the fields where it differs from `previous` (the same
 * entry as checked before), each with its field's schema; the fields equal to it are taken from it.
 * The result is what a check of the whole entry gives (fields in schema order, unknown ones dropped),
 * for schemas that check nothing across fields. Undefined when that does not apply, or a field fails:
 * the caller checks the whole entry then, so that the problems are told as a whole check tells them.
 */
export function checkChangedFields(input: { schema: z.ZodType; entry: unknown; previous: unknown }): Record<string, unknown> | undefined {
  const shape = objectShape(input.schema);
  const { entry, previous } = input;
  if (shape === undefined || previous === null || typeof previous !== 'object' || entry === null || typeof entry !== 'object')
    return undefined;
  if (Array.isArray(entry) || Array.isArray(previous)) return undefined;
  const before = previous as Record<string, unknown>;
  const after = entry as Record<string, unknown>;
  const checked: Record<string, unknown> = {};
  for (const [field, schema] of shape) {
    const value = after[field];
    if (Object.hasOwn(before, field) ? sameJson(value, before[field]) : value === undefined) {
      if (Object.hasOwn(before, field)) checked[field] = before[field];
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) return undefined;
    if (parsed.data !== undefined || value !== undefined) checked[field] = parsed.data;
  }
  return checked;
}

// Per schema: its fields, when it is an object schema checked field by field (unknown fields dropped, no check of the whole).
const shapes = new WeakMap<z.ZodType, readonly [string, z.ZodType][] | null>();

function objectShape(schema: z.ZodType): readonly [string, z.ZodType][] | undefined {
  let shape = shapes.get(schema);
  if (shape === undefined) {
    const plain = schema instanceof z.ZodObject && schema._zod.def.catchall === undefined && (schema._zod.def.checks ?? []).length === 0;
    shape = plain ? Object.entries((schema as z.ZodObject).shape as Record<string, z.ZodType>) : null;
    shapes.set(schema, shape);
  }
  return shape ?? undefined;
}

/** A state built from a snapshot's entries, each made by `entry`; `freeze` freezes the containers made here. */
function buildState(
  snapshot: Snapshot,
  entry: (stored: StoredEntry) => unknown,
  freeze: <T>(value: T) => T,
  /** A list made from an earlier one, when there is one to make it from. */
  derived?: (table: 'tasks' | 'blockers' | 'messages', entries: readonly StoredEntry[]) => readonly unknown[] | undefined,
): TeamState {
  const entries = (table: CollectionName): readonly StoredEntry[] => snapshot.collections.get(table)?.entries ?? [];
  const record = (table: CollectionName): Record<string, unknown> =>
    freeze(Object.fromEntries(entries(table).map((stored) => [stored.key, entry(stored)])));
  const list = (table: 'tasks' | 'blockers' | 'messages'): unknown[] => {
    const made = derived?.(table, entries(table));
    if (made !== undefined) return made as unknown[];
    const stored = entries(table);
    const values: unknown[] = [];
    for (const one of stored) values.push(entry(one));
    return freeze(values);
  };
  const budget = entryAt(snapshot.collections.get('budget'), BUDGET_KEY);
  return freeze({
    version: snapshot.version,
    seq: snapshot.seq,
    run: entry(snapshot.run),
    agents: record('agents'),
    tasks: list('tasks'),
    blockers: list('blockers'),
    messages: list('messages'),
    budget: freeze({ ...(budget === undefined ? {} : (entry(budget) as object)), reservations: record('reservations') }),
  } as TeamState);
}

// Per frozen list of an assembled state: the list of the state it was assembled from, and the places that differ.
const listLineage = new WeakMap<readonly unknown[], { previous: readonly unknown[]; places: readonly number[] }>();

/**
 * The list an assembled state holds before this one, and the places where they differ, when this one
 * was made from it; readers that index each version (see the team's version index) follow the change.
 */
export function changedPlaces(list: readonly unknown[]): { previous: readonly unknown[]; places: readonly number[] } | undefined {
  return listLineage.get(list);
}

/**
 * The team state a snapshot holds; deeply frozen, shared by every reader of this snapshot. `previous`:
 * the state assembled from an earlier snapshot, whose lists are copied with the replaced entries put in
 * when the snapshot's lists were made from that one's in place.
 */
export function assembleState(snapshot: Snapshot, previous?: { snapshot: Snapshot; state: TeamState }): TeamState {
  // The entries are frozen already: only the new containers are frozen here.
  const state = buildState(
    snapshot,
    (stored) => stored.value,
    Object.freeze,
    (table, entries) => {
      if (previous === undefined) return undefined;
      const before = previous.snapshot.collections.get(table)?.entries;
      const list = previous.state[table] as readonly unknown[];
      if (before === entries) return list;
      const step = lineage.get(entries);
      if (before === undefined || step?.entries !== before || list.length !== entries.length) return undefined;
      const copy = list.slice();
      for (const place of step.places) copy[place] = (entries[place] as StoredEntry).value;
      Object.freeze(copy);
      listLineage.set(copy, { previous: list, places: step.places });
      return copy;
    },
  );
  return state;
}

/** A copy of the state a snapshot holds that an update may change: each entry parsed from its stored text (faster than a clone). */
export function mutableState(snapshot: Snapshot): TeamState {
  return buildState(
    snapshot,
    (stored) => JSON.parse(stored.text),
    (value) => value,
  );
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

/** An entry checked by its schema, as stored: frozen, with its JSON text. */
export function stored(value: unknown, position: number, key: string): StoredEntry {
  const frozen = deepFreeze(value);
  return { key, value: frozen, text: JSON.stringify(frozen), position };
}

/** Freezes a value in depth so that a shared entry cannot be changed by accident. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
