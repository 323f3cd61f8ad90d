/** Timers that fire only when the test says so, for the webhooks' retries and scans. */
import type { WebhookTimers } from '../../src/server/webhook-timers.js';

/** Manual timers and what is pending on them. */
export interface ManualTimers extends WebhookTimers {
  /** The delays of the pending timers, in the order they were set. */
  pendingDelays(): number[];
  /** Fires (and forgets) every pending timer whose delay satisfies `which`; answers how many fired. */
  fire(which: (delayMs: number) => boolean): number;
}

/** New manual timers. */
export function manualTimers(): ManualTimers {
  let next = 0;
  const pending = new Map<number, { callback: () => void; ms: number }>();
  return {
    setTimeout(callback, ms) {
      next += 1;
      pending.set(next, { callback, ms });
      return next;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    pendingDelays: () => [...pending.values()].map((timer) => timer.ms),
    fire(which) {
      const due = [...pending].filter(([, timer]) => which(timer.ms));
      for (const [handle] of due) pending.delete(handle);
      for (const [, timer] of due) timer.callback();
      return due.length;
    },
  };
}
