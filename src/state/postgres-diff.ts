/**
 * What an update changed: its state compared with the snapshot it started from, entry by entry, so
 * that only the entries whose JSON or place changed are checked with their schema and written. On
 * the store's working copy (postgres-working-copy.ts) only the list entries an update reached are
 * compared (see tracked-list.ts), field by field with a comparator made for its schema, which is
 * what keeps an update of a large run cheap; anything else (a moved or removed entry) takes the
 * general way.
 */
import { z } from 'zod';
import {
  BUDGET_KEY,
  COLLECTIONS,
  type CollectionName,
  type CollectionSpec,
  checkEntry,
  entryToRow,
  type JsonRow,
  RUN_SPEC,
} from './postgres-rows.js';
import {
  changeCollection,
  checkChangedFields,
  entryAt,
  type RowChanges,
  type Snapshot,
  type SnapshotCollection,
  type StoredEntry,
  sameJson,
  stored,
} from './postgres-snapshot.js';
import { dependentsOf, taskLevels } from './task-graph.js';
import { type Task, TEAM_STATE_VERSION, type TeamState } from './team-state.js';
import { type TrackedList, trackingIntact } from './tracked-list.js';

/** The collections kept in the state as arrays of entries keyed by their `id`. */
export const LIST_TABLES = ['tasks', 'blockers', 'messages'] as const;
/** One of LIST_TABLES. */
export type ListName = (typeof LIST_TABLES)[number];

/**
 * A diff: the new snapshot, the rows to write, and per collection the keys of entries that differ
 * from their stored form with nothing to write (a default removed, a field the schema drops added);
 * or why the state is not valid.
 */
export type StateDiff =
  | { ok: true; snapshot: Snapshot; changes: RowChanges; touched: ReadonlyMap<CollectionName, readonly string[]> }
  | { ok: false; problem: string };

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The entries of one collection of `state`, as [key, entry] in order; a problem when it is not shaped like one. */
function entriesOf(state: TeamState, table: CollectionName): [string, unknown][] | string {
  if ((LIST_TABLES as readonly string[]).includes(table)) {
    const list: unknown = state[table as ListName];
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
    return entries;
  }
  if (table === 'agents') return isRecord(state.agents) ? Object.entries(state.agents) : 'agents: expected an object';
  if (!isRecord(state.budget) || !isRecord(state.budget.reservations)) return 'budget.reservations: expected an object';
  const { reservations, ...book } = state.budget;
  return table === 'reservations' ? Object.entries(reservations) : [[BUDGET_KEY, book]];
}

/** The changes of one collection: the entries to store and the rows to write. */
interface CollectionDiff {
  changed: StoredEntry[];
  upserts: JsonRow[];
  deletes: string[];
  touched: string[];
}

/** Checks `entry`, new or changed at `position`, into `diff`; a problem when it does not match its schema. */
function addChange(input: {
  spec: CollectionSpec;
  key: string;
  entry: unknown;
  position: number;
  old: StoredEntry | undefined;
  diff: CollectionDiff;
}): string | undefined {
  const { spec, key, entry, position, old, diff } = input;
  if (old !== undefined && old.position === position && sameJson(entry, old.value)) return undefined;
  // An entry changed in place is checked in the fields that changed; a new one, or one that fails there, whole.
  const quick = old === undefined ? undefined : checkChangedFields({ schema: spec.schema, entry, previous: old.value });
  const checked = quick !== undefined ? ({ ok: true, value: quick } as const) : checkEntry(spec.schema, entry);
  const where = spec.table === 'budget' ? 'budget' : `${spec.table}["${key}"]`;
  if (!checked.ok) return `${where}: ${checked.problem}`;
  const next = stored(checked.value, position, key);
  // A change of key order only, say, is no change once checked.
  if (old !== undefined && old.position === position && old.text === next.text) {
    diff.touched.push(key);
    return undefined;
  }
  diff.changed.push(next);
  diff.upserts.push({ key, position, ...entryToRow({ columns: spec.columns, keyField: spec.keyField, entry: next.value as object }) });
  return undefined;
}

/** Every entry of the collection against `before`: new, changed, moved and removed ones. */
function diffCollection(state: TeamState, spec: CollectionSpec, before: SnapshotCollection | undefined): CollectionDiff | string {
  const entries = entriesOf(state, spec.table);
  if (typeof entries === 'string') return entries;
  const diff: CollectionDiff = { changed: [], upserts: [], deletes: [], touched: [] };
  const present = new Set<string>();
  for (const [position, [key, entry]] of entries.entries()) {
    present.add(key);
    const problem = addChange({ spec, key, entry, position, old: entryAt(before, key), diff });
    if (problem !== undefined) return problem;
  }
  diff.deletes = (before?.entries ?? []).filter((entry) => !present.has(entry.key)).map((entry) => entry.key);
  return diff;
}

/**
 * The list's entries against `before` when it is the working copy's tracked list (see
 * tracked-list.ts), still of the base's length at least: only the places an update reached are
 * looked at, and entries appended after them (a message, a blocker) are new ones. Undefined when the
 * list changed shape otherwise (cut, an id at a place, an appended id already used): take the
 * general way.
 */
function diffTrackedList(input: {
  list: unknown;
  tracked: TrackedList;
  spec: CollectionSpec;
  before: SnapshotCollection;
}): CollectionDiff | string | undefined {
  const { list, tracked, spec, before } = input;
  if (list !== tracked.list || tracked.count !== before.entries.length || !trackingIntact(tracked)) return undefined;
  const same = sameEntryFor(spec.schema);
  const diff: CollectionDiff = { changed: [], upserts: [], deletes: [], touched: [] };
  // In place order, so that the rows are written in the order a full pass writes them.
  const places = [...tracked.touched].sort((a, b) => a - b);
  for (const position of places) {
    if (position >= tracked.count) continue;
    const entry: unknown = tracked.plain[position];
    const old = before.entries[position] as StoredEntry;
    if (!isRecord(entry) || entry.id !== old.key) return undefined;
    if (same(entry, old.value)) continue;
    const problem = addChange({ spec, key: old.key, entry, position, old, diff });
    if (problem !== undefined) return problem;
  }
  const appended = new Set<string>();
  for (let position = tracked.count; position < tracked.list.length; position += 1) {
    const entry: unknown = tracked.list[position];
    const key = isRecord(entry) ? entry.id : undefined;
    if (typeof key !== 'string' || appended.has(key) || entryAt(before, key) !== undefined) return undefined;
    appended.add(key);
    const problem = addChange({ spec, key, entry, position, old: undefined, diff });
    if (problem !== undefined) return problem;
  }
  return diff;
}

/**
 * Compares `state` (an update's result) with `base` entry by entry. Only the entries whose JSON or
 * place changed are checked with their schema and written. `base` undefined: every entry is new.
 * `tracked`: `state` is the working copy of `base`, and these are its tracked lists (see tracked-list.ts).
 */
export function diffState(input: {
  base: Snapshot | undefined;
  state: TeamState;
  tracked?: ReadonlyMap<ListName, TrackedList> | undefined;
}): StateDiff {
  const { base, state, tracked } = input;
  if (state.version !== TEAM_STATE_VERSION) return { ok: false, problem: `version: expected ${TEAM_STATE_VERSION}` };
  let run = base?.run;
  if (run === undefined || !sameJson(state.run, run.value)) {
    const checked = checkEntry(RUN_SPEC.schema, state.run);
    if (!checked.ok) return { ok: false, problem: `run: ${checked.problem}` };
    run = stored(checked.value, 0, 'run');
  }
  const collections = new Map<CollectionName, SnapshotCollection>();
  const changes = new Map<CollectionName, { upserts: JsonRow[]; deletes: string[] }>();
  const touched = new Map<CollectionName, string[]>();
  for (const spec of COLLECTIONS) {
    const before = base?.collections.get(spec.table);
    const list = tracked?.get(spec.table as ListName);
    const fast =
      list !== undefined && before !== undefined
        ? diffTrackedList({ list: state[spec.table as ListName], tracked: list, spec, before })
        : undefined;
    const diff = fast ?? diffCollection(state, spec, before);
    if (typeof diff === 'string') return { ok: false, problem: diff };
    collections.set(spec.table, changeCollection(before, diff.changed, diff.deletes).collection);
    if (diff.upserts.length > 0 || diff.deletes.length > 0) changes.set(spec.table, { upserts: diff.upserts, deletes: diff.deletes });
    if (diff.touched.length > 0) touched.set(spec.table, diff.touched);
  }
  const tasks = collections.get('tasks')?.entries ?? [];
  const tasksChange = changes.get('tasks');
  // When the plan's graph changed, the level and dependents of the tasks whose level or dependents changed; of every task
  // when they were never written (a run of an earlier build).
  const baseTasks = base?.collections.get('tasks');
  const change = tasksChange === undefined ? 'none' : graphChange(baseTasks, tasksChange);
  const unwritten = base === undefined || base.graphSeq === 0;
  const graph =
    change !== 'none' || (unwritten && tasks.length > 0)
      ? changedGraphRows({ before: unwritten ? undefined : baseTasks, after: collections.get('tasks') })
      : undefined;
  const snapshot: Snapshot = {
    seq: state.seq,
    version: state.version,
    run,
    collections,
    graphSeq: graph !== undefined ? state.seq : (base?.graphSeq ?? 0),
  };
  const runRow = { version: state.version, seq: state.seq, ...entryToRow({ columns: RUN_SPEC.columns, entry: run.value as object }) };
  const idsRewritten = graph !== undefined && (change === 'ids' || unwritten);
  return { ok: true, snapshot, changes: { run: runRow, collections: changes, graph, idsRewritten }, touched };
}

type GraphRow = NonNullable<RowChanges['graph']>[number];

/** Each task's level and the tasks that depend on it, in plan order, as the transitions read them, by task id. */
function graphRows(collection: SnapshotCollection | undefined): ReadonlyMap<string, GraphRow> {
  if (collection === undefined) return new Map();
  const tasks = collection.entries.map((entry) => entry.value as Task);
  const levels = taskLevels(tasks);
  const dependents = dependentsOf(tasks);
  return new Map(
    tasks.map((task) => [
      task.id,
      { key: task.id, level: levels.get(task.id) ?? 0, dependents: (dependents.get(task.id) ?? []).map((dependent) => dependent.id) },
    ]),
  );
}

/**
 * The graph rows (RowChanges.graph) of the tasks whose level or dependents differ from those of `before` (every
 * task's when the rows were never written): a prerequisite added to a plan of thousands changes a few, and writing
 * every task's would make each such commit cost as much as the plan.
 */
function changedGraphRows(input: { before: SnapshotCollection | undefined; after: SnapshotCollection | undefined }): GraphRow[] {
  const before = input.before === undefined ? undefined : graphRows(input.before);
  const rows: GraphRow[] = [];
  for (const row of graphRows(input.after).values()) {
    const was = before?.get(row.key);
    const same =
      was !== undefined &&
      was.level === row.level &&
      was.dependents.length === row.dependents.length &&
      was.dependents.every((id, index) => id === row.dependents[index]);
    if (!same) rows.push(row);
  }
  return rows;
}

/**
 * How the tasks written change the plan's graph: 'ids' when a task was removed or moved (the ids before it are no
 * longer the first of the plan's), 'graph' when a task was added at the end or its size or dependencies changed.
 */
function graphChange(before: SnapshotCollection | undefined, change: { upserts: JsonRow[]; deletes: string[] }): 'none' | 'graph' | 'ids' {
  if (change.deletes.length > 0) return 'ids';
  let graph = false;
  for (const row of change.upserts) {
    const old = entryAt(before, String(row.key));
    if (old === undefined) {
      // Added: at the end of the plan, or in its middle, which moves the tasks after it (found as they are written).
      if (Number(row.position) < (before?.entries.length ?? 0)) return 'ids';
      graph = true;
      continue;
    }
    if (old.position !== row.position) return 'ids';
    const was = old.value as Task;
    const data = row.data as Pick<Task, 'complexity' | 'dependsOn'>;
    if (was.complexity !== data.complexity || was.dependsOn.length !== data.dependsOn.length) graph = true;
    else if (was.dependsOn.some((id, index) => id !== data.dependsOn[index])) graph = true;
  }
  return graph ? 'graph' : 'none';
}

/** The object schema a field holds, under nullable, optional and default; undefined when it holds something else. */
function objectSchemaOf(schema: z.ZodType): z.ZodType | undefined {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodNullable || inner instanceof z.ZodOptional || inner instanceof z.ZodDefault) {
    inner = inner._zod.def.innerType as z.ZodType;
  }
  return inner instanceof z.ZodObject && inner._zod.def.catchall === undefined ? inner : undefined;
}

// One comparator per entry schema, made once.
const comparators = new WeakMap<z.ZodType, (entry: unknown, stored: unknown) => boolean>();

/**
 * True when `entry` would be stored as `stored` (a checked entry): `sameJson`, made for the fields of
 * an object schema that drops unknown keys (so only its own fields can make a difference). Made as a
 * function reading each field by name: a loop over field names reads them with one cache for all,
 * several times slower on the tasks of a large run.
 */
export function sameEntryFor(schema: z.ZodType): (entry: unknown, stored: unknown) => boolean {
  let same = comparators.get(schema);
  if (same !== undefined) return same;
  same = sameJson;
  if (schema instanceof z.ZodObject && schema._zod.def.catchall === undefined) {
    const names = Object.keys(schema.shape);
    // A field holding an object of its own schema (a task's result) is compared by that schema's comparator.
    const nested = names.map((name) => {
      const inner = objectSchemaOf(schema.shape[name] as z.ZodType);
      return inner === undefined ? sameJson : sameEntryFor(inner);
    });
    // Lists (most often empty, or of strings) are compared here too: a call per list was most of the time.
    const body = names
      .map(
        (field, index) => `a = x[${JSON.stringify(field)}]; b = y[${JSON.stringify(field)}];
if (a !== b) {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 1) {
      const c = a[i];
      const d = b[i];
      if (c !== d && (c === null || typeof c !== 'object' || !same(c, d))) return false;
    }
  } else if (!nested[${index}](a, b)) return false;
}`,
      )
      .join('\n');
    same = new Function('same', 'nested', `return function sameEntry(x, y) {\nlet a;\nlet b;\n${body}\nreturn true;\n}`)(
      sameJson,
      nested,
    ) as (entry: unknown, stored: unknown) => boolean;
  }
  comparators.set(schema, same);
  return same;
}
