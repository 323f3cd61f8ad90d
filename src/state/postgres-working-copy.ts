/**
 * The mutable copy of a run's state that a PostgresStore keeps between its commits, as the file store
 * keeps one: the next update runs on it instead of on a copy parsed entry by entry. Its lists (tasks,
 * blockers, messages) are tracked lists (see tracked-list.ts): the diff compares only the entries an
 * update reached with their stored form, so a commit costs what the update touched. After each commit
 * the entries written are replaced by their stored form (the schema's defaults filled in, unknown
 * fields gone), so the copy matches the new snapshot again; rows another process changed are applied
 * to it the same way when they replace entries in place, and a commit refused because another
 * process committed first puts the entries its group reached back the same way. One difference with
 * a copy made afresh is left: a field the schema drops, added to a list entry that is otherwise
 * unchanged, stays on it until the entry changes (the comparator reads only the schema's fields).
 * Product code reads and writes only the schema's fields.
 */
import { LIST_TABLES, type ListName } from './postgres-diff.js';
import { BUDGET_KEY, type CollectionName } from './postgres-rows.js';
import { type AppliedRows, entryAt, mutableState, type RowChanges, type Snapshot } from './postgres-snapshot.js';
import type { TeamState } from './team-state.js';
import { noteSettled, type TrackedList, trackAppended, trackedList, trackingIntact } from './tracked-list.js';

/** A mutable state equal to `snapshot`'s, and its tracked lists. */
export interface WorkingCopy {
  readonly snapshot: Snapshot;
  readonly state: TeamState;
  readonly tracked: ReadonlyMap<ListName, TrackedList>;
}

// The state's own fields; anything else an update added is dropped, as a copy made afresh would not have it.
const STATE_FIELDS = new Set(['version', 'seq', 'run', 'agents', 'tasks', 'blockers', 'messages', 'budget']);

const isListTable = (table: CollectionName): table is ListName => (LIST_TABLES as readonly string[]).includes(table);

/** The lists of `state` made tracked lists (each list's entries taken over), set in `state`. */
function trackLists(state: TeamState): Map<ListName, TrackedList> {
  const tracked = new Map<ListName, TrackedList>();
  for (const table of LIST_TABLES) {
    const list = trackedList([...(state[table] as unknown[])]);
    (state as unknown as Record<ListName, unknown[]>)[table] = list.list;
    tracked.set(table, list);
  }
  return tracked;
}

/** A working copy of `snapshot`, every entry parsed from its stored text. */
export function workingCopyOf(snapshot: Snapshot): WorkingCopy {
  const state = mutableState(snapshot);
  return { snapshot, state, tracked: trackLists(state) };
}

/** True when `tracked` holds the lists of `state`, each intact and exactly as long as `snapshot`'s. */
function tracksAt(state: TeamState, snapshot: Snapshot, tracked: ReadonlyMap<ListName, TrackedList>): boolean {
  return LIST_TABLES.every((table) => {
    const list = tracked.get(table);
    const length = snapshot.collections.get(table)?.entries.length ?? 0;
    return list !== undefined && state[table] === list.list && list.count === length && list.list.length === length && trackingIntact(list);
  });
}

/** Puts the stored form of `keys` of `table`, as `snapshot` holds them, into `state` (into the plain side of a tracked list). */
function replaceEntries(input: {
  state: TeamState;
  snapshot: Snapshot;
  table: CollectionName;
  keys: Iterable<string>;
  tracked: ReadonlyMap<ListName, TrackedList>;
}): void {
  const { state, table } = input;
  const collection = input.snapshot.collections.get(table);
  const tracked = isListTable(table) ? input.tracked.get(table) : undefined;
  const list = isListTable(table) ? (tracked?.plain ?? (state[table] as unknown[])) : undefined;
  const settled: number[] = [];
  for (const key of input.keys) {
    const entry = entryAt(collection, key);
    if (entry === undefined) continue;
    const value = JSON.parse(entry.text) as never;
    settled.push(entry.position);
    if (list !== undefined) list[entry.position] = value;
    else if (table === 'agents') state.agents[key] = value;
    else if (table === 'reservations') state.budget.reservations[key] = value;
  }
  if (tracked !== undefined) noteSettled(tracked, settled);
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
  /** The working copy the group ran on, when it did: its tracked lists are kept. */
  previous?: WorkingCopy | undefined;
}): WorkingCopy {
  const { state, snapshot, previous } = input;
  const kept = previous?.tracked;
  for (const [table, list] of kept ?? []) {
    if (state[table] !== list.list || !trackingIntact(list)) continue;
    // What the group reached or appended may have changed: readers of the log look at it again.
    const appended = Array.from({ length: list.list.length - list.count }, (_, index) => list.count + index);
    noteSettled(list, [...list.touched, ...appended]);
    trackAppended(list);
  }
  // The lists kept when the group left them in place (entries changed or appended); else tracked afresh (an entry moved or removed).
  const tracked = kept !== undefined && tracksAt(state, snapshot, kept) ? kept : trackLists(state);
  for (const [table, change] of input.changes.collections) {
    replaceEntries({ state, snapshot, table, keys: change.upserts.map((row) => String(row.key)), tracked });
  }
  for (const [table, keys] of input.touched) replaceEntries({ state, snapshot, table, keys, tracked });
  for (const list of tracked.values()) list.touched.clear();
  replaceRest(state, snapshot);
  return { snapshot, state, tracked };
}

/**
 * `work` moved on to `applied.snapshot`, the rows changed since its snapshot replacing its entries;
 * undefined when those rows added, removed or moved entries (a new copy is made then).
 */
export function rebasedCopy(work: WorkingCopy, applied: AppliedRows): WorkingCopy | undefined {
  if (!applied.inPlace || !tracksAt(work.state, work.snapshot, work.tracked)) return undefined;
  const { state, tracked } = work;
  // Entries replaced in place, on the plain side of the lists: catching up costs what changed.
  for (const [table, keys] of applied.changed) replaceEntries({ state, snapshot: applied.snapshot, table, keys, tracked });
  replaceRest(state, applied.snapshot);
  return { snapshot: applied.snapshot, state, tracked };
}

/**
 * `work` made equal to its snapshot again after a group ran on it and wrote `changes` (and `touched`)
 * in a commit that did not go through: the list entries it reached put back in their stored form,
 * appended ones dropped, the records' changed entries put back. Undefined when the group cut a list
 * or put another in its place (a new copy is made then).
 */
export function revertedCopy(input: {
  work: WorkingCopy;
  changes: RowChanges;
  touched: ReadonlyMap<CollectionName, readonly string[]>;
}): WorkingCopy | undefined {
  const { work } = input;
  const { state, snapshot, tracked } = work;
  for (const table of LIST_TABLES) {
    const list = tracked.get(table);
    const length = snapshot.collections.get(table)?.entries.length ?? 0;
    if (list === undefined || state[table] !== list.list || list.count !== length || !trackingIntact(list)) return undefined;
  }
  for (const table of LIST_TABLES) {
    const list = tracked.get(table) as TrackedList;
    const entries = snapshot.collections.get(table)?.entries ?? [];
    list.list.length = list.count;
    for (const place of list.touched) {
      const entry = entries[place];
      if (entry !== undefined) list.plain[place] = JSON.parse(entry.text);
    }
    noteSettled(list, list.touched);
    list.touched.clear();
  }
  const changed = new Map<CollectionName, Set<string>>();
  const add = (table: CollectionName, keys: Iterable<string>): void => {
    const set = changed.get(table) ?? new Set<string>();
    for (const key of keys) set.add(key);
    changed.set(table, set);
  };
  for (const [table, change] of input.changes.collections) add(table, [...change.upserts.map((row) => String(row.key)), ...change.deletes]);
  for (const [table, keys] of input.touched) add(table, keys);
  for (const [table, keys] of changed) {
    if (table !== 'agents' && table !== 'reservations') continue;
    // Records are small: rebuilt in their stored order, keeping the objects of the entries left alone.
    const collection = snapshot.collections.get(table);
    const record = table === 'agents' ? state.agents : state.budget.reservations;
    const rebuilt: Record<string, unknown> = {};
    for (const entry of collection?.entries ?? []) {
      rebuilt[entry.key] = keys.has(entry.key) ? JSON.parse(entry.text) : (record as Record<string, unknown>)[entry.key];
    }
    if (table === 'agents') state.agents = rebuilt as TeamState['agents'];
    else state.budget.reservations = rebuilt as TeamState['budget']['reservations'];
  }
  replaceRest(state, snapshot);
  return { snapshot, state, tracked };
}
