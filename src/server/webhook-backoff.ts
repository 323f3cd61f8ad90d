/** How long to wait before the next attempt of a delivery: exponential, capped, with jitter so that many retries do not arrive together. */

/** The waits of a delivery's retries. */
export interface BackoffPolicy {
  /** The wait after the first failed attempt. */
  readonly baseDelayMs: number;
  /** The longest wait. */
  readonly maxDelayMs: number;
  /** A number in [0, 1): Math.random, or a fixed one in tests. */
  readonly random: () => number;
}

/**
 * The wait after `attempts` failed attempts: base·2^(attempts-1), capped, then drawn from its upper
 * half ("equal jitter"), so it still grows with each failure yet retries of many events spread out.
 */
export function retryDelayMs(attempts: number, policy: BackoffPolicy): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, Math.min(attempts - 1, 30));
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped / 2 + (capped / 2) * policy.random());
}
