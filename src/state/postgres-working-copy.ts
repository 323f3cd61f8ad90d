/**
 * The mutable copy of a run's state that a PostgresStore keeps between its commits, as the file store
 * keeps one: the next update runs on it instead of on a copy parsed entry by entry, and the diff
 * looks closely only at the list entries that are no longer the objects it was made of (see
 * postgres-diff.ts). After each commit the entries written are replaced by their stored form (the
 * schema's defaults filled in, unknown fields gone), so the copy matches the new snapshot again;
 * rows another process changed are applied to it the same way when they replace entries in place.
 * One difference with a copy made afresh is left: a field the schema drops, added to a list entry
 * that is otherwise unchanged, stays on it until the entry changes (the comparator reads only the
 * schema's fields). Product code reads and writes only the schema's fields.
 */
import { type AlignedLists, LIST_TABLES, type ListName } from './postgres-diff.js';
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

function listsOf(state: TeamState): Map<ListName, unknown[]> {
  return new Map(LIST_TABLES.map((table) => [table, [...state[table]]]));
}

/** A working copy of `snapshot`, every entry parsed from its stored text. */
export function workingCopyOf(snapshot: Snapshot): WorkingCopy {
  const state = mutableState(snapshot);
  return { snapshot, state, aligned: listsOf(state) };
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
}): WorkingCopy {
  const { state, snapshot } = input;
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
  return { snapshot, state, aligned: listsOf(state) };
}

/**
 * `work` moved on to `applied.snapshot`, the rows changed since its snapshot replacing its entries;
 * undefined when those rows added, removed or moved entries (a new copy is made then).
 */
export function rebasedCopy(work: WorkingCopy, applied: AppliedRows): WorkingCopy | undefined {
  if (!applied.inPlace) return undefined;
  const { state } = work;
  const aligned = work.aligned as Map<ListName, unknown[]>;
  for (const [table, keys] of applied.changed) {
    replaceEntries(state, applied.snapshot, table, keys);
    const objects = aligned.get(table as ListName);
    if (objects === undefined) continue;
    const collection = applied.snapshot.collections.get(table);
    for (const key of keys) {
      const position = collection?.index.get(key);
      if (position !== undefined) objects[position] = state[table as ListName][position];
    }
  }
  replaceRest(state, applied.snapshot);
  return { snapshot: applied.snapshot, state, aligned };
}
