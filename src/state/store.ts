import type { TaskTransitions } from './task-transitions.js';

/** Lets an update record ledger events; they are appended under the same lock as the write. */
export interface UpdateContext<E> {
  /** Queue an event for the ledger; it gets the seq of this update. */
  emit(event: E): void;
  /** The time of this update as an ISO string (from the store's clock). */
  readonly now: string;
}

/** A ledger line: the event plus the seq of the update that wrote it and the time. */
export type LedgerEntry<E> = E & { seq: number; at: string };

/**
 * Which changes a watch is told of. 'all' (the default): every commit. 'work': the commits that may give an agent or
 * the run's coordinator something to do, which a store that can tell may tell apart. A database store: every
 * update(); of its own transitions, a report that hands a task to another agent, settles spend under a budget
 * limit, hands its reporter nothing, or leaves a task it made ready to an agent that waits without being alive yet;
 * a claim, or a report whose next task went to its reporter, wakes no watch of work, and watches of all hear of it
 * within EVERY_CHANGE_POLL_MS (they poll). A store that cannot tell calls every watch on every change.
 */
export type WatchScope = 'all' | 'work';

/** Where the team state lives. Every change goes through `update()`. */
export interface StateStore<S extends { seq: number }, E> {
  /** The current state, validated; shared and read-only (change it with `update()`). Throws StateCorruptedError if the file is bad. */
  read(): Promise<S>;
  /** True when the state exists (a file store: the file is there). */
  exists(): Promise<boolean>;
  /**
   * lock → read → fn → validate → write atomically → append events to the ledger → unlock.
   * `fn` mutates the state it is given and may return a value. If `fn` throws, nothing is written.
   */
  update<T>(fn: (state: S, context: UpdateContext<E>) => T): Promise<T>;
  /**
   * Claims and reports made by the store itself, on the newest rows, without a copy of the state (a database store);
   * undefined when every change goes through `update()`.
   */
  readonly transitions?: TaskTransitions | undefined;
  /** Calls `onChange` soon after the state changes (event-driven, with polling as fallback), of the changes `scope` names. Returns a stop function. */
  watch(onChange: () => void, scope?: WatchScope): () => void;
  /**
   * Lets the updates already asked for finish, stops every watch and releases what the store holds
   * (a file store: its watchers; a database store: its connections). Every call after it rejects.
   */
  close(): Promise<void>;
}
