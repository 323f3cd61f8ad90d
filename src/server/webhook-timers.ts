/** The timers webhooks wait with: the real ones (unref'd, so they never hold the process open), or a test's own that fire when told. */

/** Schedules and cancels callbacks. */
export interface WebhookTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd. */
export const realTimers: WebhookTimers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
