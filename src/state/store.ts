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
  /** Calls `onChange` soon after the state changes (event-driven, with polling as fallback). Returns a stop function. */
  watch(onChange: () => void): () => void;
  /**
   * Lets the updates already asked for finish, stops every watch and releases what the store holds
   * (a file store: its watchers; a database store: its connections). Every call after it rejects.
   */
  close(): Promise<void>;
}
