/**
 * Delivers what the outbox holds, in the background: a few attempts at a time, each failure recorded in
 * its entry before a retry is scheduled (exponential backoff with jitter), a delivery given up on after
 * `maxAttempts` moved to the dead-letter folder. Never on a request's path.
 */
import { getLogger, type ServiceMetrics } from '../observability/index.js';
import type { LookupFunction } from 'node:net';
import { type CallbackHosts, callbackLookup, type HostResolver } from './callback-hosts.js';
import { type BackoffPolicy, retryDelayMs } from './webhook-backoff.js';
import { deliverWebhook, shownUrl } from './webhook-delivery.js';
import { isDamagedEntry, type WebhookOutbox } from './webhook-outbox.js';
import { realTimers, type WebhookTimers } from './webhook-timers.js';

const log = getLogger('webhooks');

/** Defaults of the delivery settings. */
export const WEBHOOK_DEFAULTS = {
  maxAttempts: 10,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  timeoutMs: 10_000,
  concurrency: 4,
} as const;

/** What the dispatcher needs. */
export interface WebhookDispatcherOptions {
  readonly outbox: WebhookOutbox;
  readonly secret: string;
  readonly userAgent: string;
  readonly metrics?: Pick<ServiceMetrics, 'observeWebhookDelivery' | 'observeWebhookDeadLetter'> | undefined;
  readonly maxAttempts?: number | undefined;
  readonly baseDelayMs?: number | undefined;
  readonly maxDelayMs?: number | undefined;
  readonly timeoutMs?: number | undefined;
  /** Deliveries under way at once. */
  readonly concurrency?: number | undefined;
  readonly timers?: WebhookTimers | undefined;
  readonly now?: (() => Date) | undefined;
  readonly random?: (() => number) | undefined;
  /** The signal that ends an attempt whose receiver is slow (default: AbortSignal.timeout). */
  readonly timeoutSignal?: ((ms: number) => AbortSignal) | undefined;
  /** The receivers of every task (the operator's): any other URL is a task's callback. */
  readonly urls?: readonly string[] | undefined;
  /** The hosts a callback may name; without a list, a callback's host is resolved and refused when local (see callback-hosts.ts). */
  readonly callbackHosts?: CallbackHosts | undefined;
  /** Resolves a callback's host (default: the system's resolver). */
  readonly resolve?: HostResolver | undefined;
}

/** Delivers the outbox's entries until closed. */
export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions;
  readonly #timers: WebhookTimers;
  readonly #policy: BackoffPolicy;
  readonly #ready: string[] = [];
  readonly #waiting = new Map<string, unknown>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();
  readonly #callbackLookup: LookupFunction;
  #idle: (() => void)[] = [];

  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
    this.#policy = {
      baseDelayMs: options.baseDelayMs ?? WEBHOOK_DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? WEBHOOK_DEFAULTS.maxDelayMs,
      random: options.random ?? Math.random,
    };
    this.#callbackLookup = callbackLookup({ resolve: options.resolve, refuseLocal: (options.callbackHosts?.patterns.length ?? 0) === 0 });
  }

  /** How the host of `url` is looked up: a client's callback by the callback lookup (checked without a list), an operator's receiver as usual. */
  #lookupFor(url: string): LookupFunction | undefined {
    return (this.#options.urls ?? []).includes(url) ? undefined : this.#callbackLookup;
  }

  /** Takes up every entry the outbox holds (what a stopped or killed server left) for an attempt now. */
  async start(): Promise<void> {
    const names = await this.#options.outbox.names();
    if (names.length > 0) log.info('delivering what the outbox holds', { entries: names.length });
    for (const name of names) this.enqueue(name);
  }

  /** Attempts the entry `name` soon, unless it is under way or waiting for its retry already. */
  enqueue(name: string): void {
    if (this.#stop.signal.aborted || this.#inFlight.has(name) || this.#waiting.has(name) || this.#ready.includes(name)) return;
    this.#ready.push(name);
    this.#pump();
  }

  /** Resolves once no attempt is under way or ready (retries waiting on their timers do not count). */
  idle(): Promise<void> {
    if (this.#ready.length === 0 && this.#inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Entries waiting for their retry's timer. */
  waitingCount(): number {
    return this.#waiting.size;
  }

  /** Stops: no new attempt, retries unscheduled, attempts under way aborted and awaited. What is left stays in the outbox. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#ready.length = 0;
    for (const handle of this.#waiting.values()) this.#timers.clearTimeout(handle);
    this.#waiting.clear();
    await Promise.all(this.#inFlight.values());
  }

  #pump(): void {
    const concurrency = this.#options.concurrency ?? WEBHOOK_DEFAULTS.concurrency;
    while (this.#inFlight.size < concurrency && this.#ready.length > 0) {
      const name = this.#ready.shift() as string;
      const attempt = this.#attempt(name)
        .catch((error: unknown) => log.error('webhook outbox entry could not be handled', { entry: name, error: String(error) }))
        .finally(() => {
          this.#inFlight.delete(name);
          this.#pump();
        });
      this.#inFlight.set(name, attempt);
    }
    if (this.#ready.length === 0 && this.#inFlight.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #attempt(name: string): Promise<void> {
    const { outbox, metrics } = this.#options;
    let entry: Awaited<ReturnType<WebhookOutbox['read']>>;
    try {
      entry = await outbox.read(name);
    } catch (error) {
      if (!isDamagedEntry(error)) throw error;
      await outbox.bury(name, { damaged: error.message });
      metrics?.observeWebhookDeadLetter('damaged');
      log.error('webhook outbox entry is damaged; moved to the dead-letter folder', { entry: name, folder: outbox.deadDirectory });
      return;
    }
    if (entry === undefined) return;
    const now = this.#options.now?.() ?? new Date();
    const timeoutMs = this.#options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs;
    const result = await deliverWebhook({
      url: entry.url,
      event: entry.event,
      secret: this.#options.secret,
      now,
      timeout: (this.#options.timeoutSignal ?? AbortSignal.timeout)(timeoutMs),
      signal: this.#stop.signal,
      userAgent: this.#options.userAgent,
      lookup: this.#lookupFor(entry.url),
    });
    const target = shownUrl(entry.url);
    const eventId = entry.event.event_id;
    // Cut short by shutdown: not the receiver's failure; the entry stays as it was for the next start.
    if (this.#stop.signal.aborted && result.outcome !== 'delivered') return;
    metrics?.observeWebhookDelivery(result.outcome);
    if (result.outcome === 'delivered') {
      await outbox.remove(name);
      log.info('webhook delivered', { eventId, target, attempt: entry.attempts + 1 });
      return;
    }
    const failed = { ...entry, attempts: entry.attempts + 1, lastError: result.detail };
    const maxAttempts = this.#options.maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts;
    if (failed.attempts >= maxAttempts) {
      await outbox.bury(name, failed);
      metrics?.observeWebhookDeadLetter('attempts');
      log.error('webhook delivery given up; moved to the dead-letter folder', {
        eventId,
        target,
        attempts: failed.attempts,
        error: result.detail,
        folder: outbox.deadDirectory,
      });
      return;
    }
    await outbox.update(name, failed);
    const delayMs = retryDelayMs(failed.attempts, this.#policy);
    log.warn('webhook delivery failed; will retry', { eventId, target, attempt: failed.attempts, delayMs, error: result.detail });
    if (this.#stop.signal.aborted) return;
    const handle = this.#timers.setTimeout(() => {
      this.#waiting.delete(name);
      this.enqueue(name);
    }, delayMs);
    this.#waiting.set(name, handle);
  }
}
