/**
 * Client-side rate limiting: keeps a provider under its concurrency, requests-per-minute
 * and tokens-per-minute limits so agents queue here instead of collecting 429s and
 * spending their retries. Requests start in arrival order (FIFO), so no agent starves.
 */
import { sleep } from './sleep.js';
import { totalTokens, type LlmProvider, type LlmRequest, type LlmResponse } from './types.js';

/** Time source of the throttle; tests pass a fake one. */
export interface ThrottleClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Waits `ms`, or rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Limits of one provider instance. */
export interface ThrottleOptions {
  /** Calls in flight at once. */
  maxConcurrent: number;
  /** Calls started in any sliding 60 s window. */
  requestsPerMinute?: number;
  /** Estimated (then real) tokens of the calls started in any sliding 60 s window. */
  tokensPerMinute?: number;
  /** Defaults to `performance.now()` and a timer. */
  clock?: ThrottleClock;
}

/** What the throttle did, for tests and reports. */
export interface ThrottleStats {
  /** Most calls ever in flight at once. */
  maxInFlight: number;
  /** Sum over all calls of the time spent queued here. */
  totalWaitedMs: number;
  /** Calls started. */
  requests: number;
}

/** A throttled provider, with its statistics. */
export interface ThrottledProvider extends LlmProvider {
  /** A snapshot of what the throttle did so far. */
  stats(): ThrottleStats;
}

const WINDOW_MS = 60_000;
// Four characters per token is the usual rule of thumb for English and code.
const CHARS_PER_TOKEN = 4;

/** Tokens a request may use at most, before it is made: its output cap plus its prompt, estimated. */
export function estimateRequestTokens(request: LlmRequest): number {
  let chars = request.system.length;
  for (const message of request.messages) chars += message.content.length;
  return request.maxTokens + Math.ceil(chars / CHARS_PER_TOKEN);
}

interface WindowEntry {
  readonly at: number;
  tokens: number;
}

interface Waiter {
  readonly tokens: number;
  readonly enqueuedAt: number;
  readonly start: (entry: WindowEntry) => void;
}

const defaultClock: ThrottleClock = { now: () => performance.now(), sleep };

function checkLimit(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`withThrottle: expected \`${name}\` to be an integer from 1 up, got ${String(value)}.`);
  }
}

/** The queue and the sliding window shared by all calls of one provider instance. */
class Throttle {
  readonly #maxConcurrent: number;
  readonly #requestsPerMinute: number | undefined;
  readonly #tokensPerMinute: number | undefined;
  readonly #clock: ThrottleClock;
  readonly #queue: Waiter[] = [];
  // Calls started in the last minute, oldest first; only kept when a per-minute limit is set.
  #window: WindowEntry[] = [];
  #inFlight = 0;
  #wake: AbortController | undefined;
  readonly #stats: ThrottleStats = { maxInFlight: 0, totalWaitedMs: 0, requests: 0 };

  constructor(options: ThrottleOptions) {
    checkLimit('maxConcurrent', options.maxConcurrent);
    checkLimit('requestsPerMinute', options.requestsPerMinute);
    checkLimit('tokensPerMinute', options.tokensPerMinute);
    this.#maxConcurrent = options.maxConcurrent;
    this.#requestsPerMinute = options.requestsPerMinute;
    this.#tokensPerMinute = options.tokensPerMinute;
    this.#clock = options.clock ?? defaultClock;
  }

  stats(): ThrottleStats {
    return { ...this.#stats };
  }

  /** Resolves when the call may start; a call whose signal aborts leaves the queue at once. */
  acquire(tokens: number, signal: AbortSignal | undefined): Promise<WindowEntry> {
    signal?.throwIfAborted();
    return new Promise<WindowEntry>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(signal?.reason);
        // The call that left may have been the head holding the others back.
        this.#pump();
      };
      const waiter: Waiter = {
        tokens,
        enqueuedAt: this.#clock.now(),
        start: (entry) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(entry);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  /** Ends a call; its real token count, when known, replaces the estimate in the window. */
  release(entry: WindowEntry, realTokens: number | undefined): void {
    this.#inFlight -= 1;
    if (realTokens !== undefined) entry.tokens = realTokens;
    this.#pump();
  }

  #pump(): void {
    const now = this.#clock.now();
    this.#window = this.#window.filter((entry) => entry.at + WINDOW_MS > now);
    for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
      // A finishing call pumps again, so a full house needs no timer.
      if (this.#inFlight >= this.#maxConcurrent) break;
      const waitMs = this.#windowWait(head.tokens, now);
      if (waitMs > 0) {
        this.#scheduleWake(waitMs);
        return;
      }
      this.#queue.shift();
      this.#inFlight += 1;
      this.#stats.requests += 1;
      this.#stats.maxInFlight = Math.max(this.#stats.maxInFlight, this.#inFlight);
      this.#stats.totalWaitedMs += now - head.enqueuedAt;
      const entry: WindowEntry = { at: now, tokens: head.tokens };
      if (this.#requestsPerMinute !== undefined || this.#tokensPerMinute !== undefined) this.#window.push(entry);
      head.start(entry);
    }
    this.#cancelWake();
  }

  /** How long until a call of `tokens` fits in the window (0: it fits now). */
  #windowWait(tokens: number, now: number): number {
    const window = this.#window;
    let expiresAt = now;
    const rpm = this.#requestsPerMinute;
    if (rpm !== undefined && window.length >= rpm) {
      // Below the limit once all entries up to this one have left the window.
      expiresAt = Math.max(expiresAt, (window[window.length - rpm]?.at ?? now) + WINDOW_MS);
    }
    const tpm = this.#tokensPerMinute;
    if (tpm !== undefined) {
      let used = window.reduce((sum, entry) => sum + entry.tokens, 0);
      // A call larger than the whole budget goes alone, once the window is empty, rather than never.
      for (const entry of window) {
        if (used + tokens <= tpm) break;
        used -= entry.tokens;
        expiresAt = Math.max(expiresAt, entry.at + WINDOW_MS);
      }
    }
    return expiresAt - now;
  }

  #scheduleWake(ms: number): void {
    this.#cancelWake();
    const wake = new AbortController();
    this.#wake = wake;
    this.#clock.sleep(ms, wake.signal).then(
      () => {
        if (this.#wake !== wake) return;
        this.#wake = undefined;
        this.#pump();
      },
      // Cancelled: a newer pump decided what to wait for.
      () => undefined,
    );
  }

  #cancelWake(): void {
    this.#wake?.abort();
    this.#wake = undefined;
  }
}

/** Wraps a provider so its calls respect concurrency and per-minute request and token limits. */
export function withThrottle(provider: LlmProvider, options: ThrottleOptions): ThrottledProvider {
  const throttle = new Throttle(options);
  return {
    name: provider.name,
    simulated: provider.simulated,
    // Counting is not a model call: it passes by untouched.
    ...(provider.countInputTokens === undefined ? {} : { countInputTokens: provider.countInputTokens.bind(provider) }),
    stats: () => throttle.stats(),
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
      const entry = await throttle.acquire(estimateRequestTokens(request), signal);
      // A failed call keeps its estimate: we cannot know what the server counted.
      let realTokens: number | undefined;
      try {
        const response = await provider.complete(request, signal);
        realTokens = totalTokens(response.usage);
        return response;
      } finally {
        throttle.release(entry, realTokens);
      }
    },
  };
}
