/** Timers of one delay that fire only when the test says so; every other timer stays real. */
export interface CapturedTimers {
  /** Runs the callback of the newest captured timer that is still pending. */
  fireLast(): void;
  /** Puts the real `setTimeout` and `clearTimeout` back. */
  restore(): void;
}

/**
 * Captures every `setTimeout(callback, delayMs)` of exactly `delayMs` (pick a delay no other
 * timer uses, such as a configured timeout of an hour): for code that arms a timeout from
 * a configured number of seconds and takes no clock, so a test decides when it expires.
 */
export function captureTimers(delayMs: number): CapturedTimers {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const pending = new Map<NodeJS.Timeout, () => void>();
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    if (delay !== delayMs) return realSetTimeout(callback, delay, ...args);
    // A real timer that never fires by itself, so clearTimeout and unref work on the handle.
    const handle = realSetTimeout(() => undefined, 2 ** 31 - 1);
    handle.unref();
    pending.set(handle, () => callback(...args));
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle?: NodeJS.Timeout | string | number) => {
    if (handle !== undefined && typeof handle === 'object') pending.delete(handle);
    realClearTimeout(handle);
  }) as typeof clearTimeout;
  return {
    fireLast: () => {
      const last = [...pending].at(-1);
      if (last === undefined) throw new Error(`no pending timer of ${delayMs} ms to fire`);
      const [handle, fire] = last;
      pending.delete(handle);
      realClearTimeout(handle);
      fire();
    },
    restore: () => {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    },
  };
}
