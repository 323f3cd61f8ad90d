/**
 * The mutable copy of a run's state that a PostgresStore keeps between its commits, as the file store
 * keeps one: the next update runs on it instead of on a copy parsed entry by entry, and the diff
 * compares each list entry that is still the object it was with a plain (not frozen) parse of its
 * stored form, field by field, and takes the general way only for the others (see postgres-diff.ts).
 * After each commit the entries written are replaced by their stored form (the schema's defaults
 * filled in, unknown fields gone), so the copy matches the new snapshot again; rows another process
 * changed are applied to it the same way when they replace entries in place, and a commit refused
 * because another process committed first puts the entries it changed back the same way. One
 * difference with a copy made afresh is left: a field the schema drops, added to a list entry that is
 * otherwise unchanged, stays on it until the entry changes (the comparator reads only the schema's
 * fields). Product code reads and writes only the schema's fields.
 */
import { type AlignedList, type AlignedLists, LIST_TABLES, type ListName } from './postgres-diff.js';
import { BUDGET_KEY, type CollectionName } from './postgres-rows.js';
import { type AppliedRows, entryAt, mutableState, type RowChanges, type Snapshot } from './postgres-snapshot.js';
import type { TeamState } from './team-state.js';

/** A mutable state equal to `snapshot`'s, and the objects its lists held when it was made equal. */
export interface WorkingCopy {
  readonly snapshot: Snapshot;
  readonly state: TeamState;
  readonly aligned: AlignedLists;
}

// The state's own fields; anything else an update added is dropped, as a copy made afresh would not have it.
const STATE_FIELDS = new Set(['version', 'seq', 'run', 'agents', 'tasks', 'blockers', 'messages', 'budget']);

/** A list of AlignedLists in the making: its objects are put right in place as entries are replaced. */
interface OwnAlignedList extends AlignedList {
  readonly objects: unknown[];
  readonly stored: unknown[];
}

/**
 * The lists of `state`, aligned with `snapshot`: each list's objects, and its entries parsed from their text,
 * those of entries `previous` (aligned with an earlier snapshot) held at the same place taken from it.
 */
function listsOf(
  state: TeamState,
  snapshot: Snapshot,
  previous?: { snapshot: Snapshot; aligned: AlignedLists },
): Map<ListName, OwnAlignedList> {
  return new Map(
    LIST_TABLES.map((table) => {
      const entries = snapshot.collections.get(table)?.entries ?? [];
      const before = previous?.snapshot.collections.get(table)?.entries;
      const earlier = previous?.aligned.get(table)?.stored;
      let stored: unknown[];
      if (before === entries && earlier !== undefined) stored = earlier as unknown[];
      else {
        stored = entries.map((entry, index) =>
          before !== undefined && earlier !== undefined && before[index] === entry ? earlier[index] : JSON.parse(entry.text),
        );
      }
      return [table, { objects: [...state[table]], stored }];
    }),
  );
}

/** A working copy of `snapshot`, every entry parsed from its stored text. */
export function workingCopyOf(snapshot: Snapshot): WorkingCopy {
  const state = mutableState(snapshot);
  return { snapshot, state, aligned: listsOf(state, snapshot) };
}

/** Puts the stored form of `keys` of `table`, as `snapshot` holds them, into `state`. */
function replaceEntries(state: TeamState, snapshot: Snapshot, table: CollectionName, keys: Iterable<string>): void {
  const collection = snapshot.collections.get(table);
  for (const key of keys) {
    const entry = entryAt(collection, key);
    if (entry === undefined) continue;
    const value = JSON.parse(entry.text) as never;
    if (table === 'tasks' || table === 'blockers' || table === 'messages') state[table][entry.position] = value;
    else if (table === 'agents') state.agents[key] = value;
    else if (table === 'reservations') state.budget.reservations[key] = value;
  }
}

/** The parts of `state` besides its collections' entries, made those of `snapshot`. */
function replaceRest(state: TeamState, snapshot: Snapshot): void {
  for (const key of Object.keys(state)) if (!STATE_FIELDS.has(key)) delete (state as unknown as Record<string, unknown>)[key];
  state.version = snapshot.version as TeamState['version'];
  state.seq = snapshot.seq;
  state.run = JSON.parse(snapshot.run.text) as TeamState['run'];
  const book = entryAt(snapshot.collections.get('budget'), BUDGET_KEY);
  if (book !== undefined)
    state.budget = { ...(JSON.parse(book.text) as object), reservations: state.budget.reservations } as TeamState['budget'];
}

/**
 * The working copy after `state` (the group's result) was committed as `snapshot` by writing
 * `changes`: every entry written, or `touched` (see StateDiff), replaced by its stored form.
 */
export function committedCopy(input: {
  state: TeamState;
  snapshot: Snapshot;
  changes: RowChanges;
  touched: ReadonlyMap<CollectionName, readonly string[]>;
  /** The working copy the group ran on, when it did: its parsed entries are reused. */
  previous?: WorkingCopy | undefined;
}): WorkingCopy {
  const { state, snapshot, previous } = input;
  for (const [table, change] of input.changes.collections) {
    replaceEntries(
      state,
      snapshot,
      table,
      change.upserts.map((row) => String(row.key)),
    );
  }
  for (const [table, keys] of input.touched) replaceEntries(state, snapshot, table, keys);
  replaceRest(state, snapshot);
  return { snapshot, state, aligned: listsOf(state, snapshot, previous) };
}

/**
 * `work` moved on to `applied.snapshot`, the rows changed since its snapshot replacing its entries;
 * undefined when those rows added, removed or moved entries (a new copy is made then).
 */
export function rebasedCopy(work: WorkingCopy, applied: AppliedRows): WorkingCopy | undefined {
  if (!applied.inPlace) return undefined;
  const { state } = work;
  // Entries replaced in place: the lists follow them there (the old copy is dropped), so catching up costs what changed.
  const aligned = work.aligned as Map<ListName, OwnAlignedList>;
  for (const [table, keys] of applied.changed) {
    replaceEntries(state, applied.snapshot, table, keys);
    const list = aligned.get(table as ListName);
    if (list === undefined) continue;
    const collection = applied.snapshot.collections.get(table);
    for (const key of keys) {
      const index = collection?.index.get(key);
      const entry = index === undefined ? undefined : collection?.entries[index];
      if (index === undefined || entry === undefined) continue;
      list.objects[index] = state[table as ListName][index];
      list.stored[index] = JSON.parse(entry.text);
    }
  }
  replaceRest(state, applied.snapshot);
  return { snapshot: applied.snapshot, state, aligned };
}

/**
 * `work` made equal to its snapshot again after a group ran on it and wrote `changes` (and `touched`)
 * in a commit that did not go through: the entries it changed put back in their stored form, appended
 * ones dropped. Undefined when the group removed or moved list entries (a new copy is made then).
 */
export function revertedCopy(input: {
  work: WorkingCopy;
  changes: RowChanges;
  touched: ReadonlyMap<CollectionName, readonly string[]>;
}): WorkingCopy | undefined {
  const { work } = input;
  const { state, snapshot } = work;
  const aligned = work.aligned as Map<ListName, OwnAlignedList>;
  const changed = new Map<CollectionName, Set<string>>();
  const add = (table: CollectionName, keys: Iterable<string>): void => {
    const set = changed.get(table) ?? new Set<string>();
    for (const key of keys) set.add(key);
    changed.set(table, set);
  };
  for (const [table, change] of input.changes.collections) {
    if (change.deletes.length > 0 && (LIST_TABLES as readonly string[]).includes(table)) return undefined;
    add(
      table,
      change.upserts.map((row) => String(row.key)),
    );
  }
  for (const [table, keys] of input.touched) add(table, keys);
  for (const [table, keys] of changed) {
    const collection = snapshot.collections.get(table);
    if (table === 'tasks' || table === 'blockers' || table === 'messages') {
      const list = state[table] as unknown[];
      const length = collection?.entries.length ?? 0;
      const objects = aligned.get(table)?.objects;
      if (!Array.isArray(list) || list.length < length || objects === undefined) return undefined;
      for (const key of keys) {
        const entry = entryAt(collection, key);
        if (entry === undefined) continue;
        if ((list[entry.position] as { id?: unknown } | undefined)?.id !== key) return undefined;
      }
      list.length = length;
      replaceEntries(state, snapshot, table, keys);
      for (const key of keys) {
        const position = collection?.index.get(key);
        if (position !== undefined) objects[position] = list[position];
      }
    } else if (table === 'agents' || table === 'reservations') {
      // Records are small: rebuilt in their stored order, keeping the objects of the entries left alone.
      const record = table === 'agents' ? state.agents : state.budget.reservations;
      const rebuilt: Record<string, unknown> = {};
      for (const entry of collection?.entries ?? []) {
        rebuilt[entry.key] = keys.has(entry.key) ? JSON.parse(entry.text) : (record as Record<string, unknown>)[entry.key];
      }
      if (table === 'agents') state.agents = rebuilt as TeamState['agents'];
      else state.budget.reservations = rebuilt as TeamState['budget']['reservations'];
    }
  }
  replaceRest(state, snapshot);
  return { snapshot, state, aligned };
}
