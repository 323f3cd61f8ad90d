import type { LedgerEvent, StateStore, TeamState } from '../../state/index.js';

/**
 * Lets agents sleep until the state changes. Local updates notify at once; other
 * processes' updates arrive through the store's watcher; polling is the fallback.
 */
export class WakeSignal {
  #waiters = new Set<() => void>();
  #stopWatch: (() => void) | undefined;
  #version = 0;

  constructor(store: StateStore<TeamState, LedgerEvent>) {
    // Agents and the coordinator act on the changes that may give them something to do (see WatchScope).
    this.#stopWatch = store.watch(() => this.notify(), 'work');
  }

  /** A number that grows with every notification; pass it to `wait` to not miss one. */
  get version(): number {
    return this.#version;
  }

  /** Wakes every waiter. */
  notify(): void {
    this.#version += 1;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves on the next notification after `sinceVersion`, after `timeoutMs`,
   * or when `signal` aborts (never rejects).
   */
  wait(input: { sinceVersion: number; timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void> {
    if (this.#version !== input.sinceVersion || input.signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        input.signal?.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, input.timeoutMs);
      input.signal?.addEventListener('abort', done, { once: true });
      this.#waiters.add(done);
    });
  }

  /** Stops watching the store. */
  close(): void {
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    this.notify();
  }
}
