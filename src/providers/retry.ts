/**
 * The one retry layer for model calls. The SDK clients are created with
 * `maxRetries: 0`, so nothing below retries: retrying here as well as in the SDK
 * would multiply attempts (3 × 5) and hide them from the ledger. Only failures the
 * adapters mark `retryable` (408/409/429/5xx/529, connection, timeout) come back.
 */
import { ProviderError } from '../errors/index.js';
import { getLogger } from '../observability/index.js';
import { sleep as abortableSleep } from './sleep.js';
import type { LlmProvider, LlmRequest, LlmResponse } from './types.js';

/** One retry about to happen, for the ledger and logs. */
export interface RetryEvent {
  /** 1 for the first retry, 2 for the second… */
  readonly attempt: number;
  /** How long the call waits before that retry. */
  readonly delayMs: number;
  /** The failure that caused it. */
  readonly error: ProviderError;
  /** True when the server asked for a longer wait than `maxRetryAfterMs` allows. */
  readonly retryAfterCapped: boolean;
}

/** How `withRetries` retries. */
export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. Default 4. */
  maxRetries?: number;
  /** First backoff ceiling, doubled on each retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Largest backoff ceiling. Default 30 s. */
  maxDelayMs?: number;
  /** Largest server `retry-after` honoured; longer ones are capped. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Waits between attempts; must reject with the signal's reason when it aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1), for jitter. Default `Math.random`. */
  random?: () => number;
  /** Called before each retry's wait. */
  onRetry?: (event: RetryEvent) => void;
}

/** The last error of a call that failed on every attempt; `cause` is that error. */
export class RetriesExhaustedError extends ProviderError {
  /** Attempts made, the first one included. */
  readonly attempts: number;
  /** The failure of the last attempt. */
  readonly lastError: ProviderError;

  constructor(input: { lastError: ProviderError; attempts: number }) {
    const { lastError, attempts } = input;
    // ProviderError prefixes the provider name; take it off so it is not doubled.
    const prefix = `${lastError.provider}: `;
    const detail = lastError.message.startsWith(prefix) ? lastError.message.slice(prefix.length) : lastError.message;
    super({
      provider: lastError.provider,
      message: `${detail} (gave up after ${attempts} attempts)`,
      failure: lastError.failure,
      status: lastError.status,
      requestId: lastError.requestId,
      retryable: lastError.retryable,
      retryAfterMs: lastError.retryAfterMs,
      cause: lastError,
      exitCode: lastError.exitCode,
    });
    this.attempts = attempts;
    this.lastError = lastError;
  }
}

const DEFAULTS = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 } as const;

function checkNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new TypeError(`withRetries: expected \`${name}\` to be a finite number from 0 up, got ${String(value)}.`);
  }
}

/** Waits, but gives up the moment the signal aborts even if an injected `sleep` ignores it. */
async function pause(input: { ms: number; signal: AbortSignal | undefined; sleep: NonNullable<RetryOptions['sleep']> }): Promise<void> {
  const { ms, signal, sleep } = input;
  if (signal === undefined) return sleep(ms);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([sleep(ms, signal), aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}

/** Wraps a provider so retryable `ProviderError`s are retried with backoff and `retry-after`. */
export function withRetries(provider: LlmProvider, options: RetryOptions = {}): LlmProvider {
  const maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
  const baseDelayMs = options.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs;
  for (const [name, value] of Object.entries({ maxRetries, baseDelayMs, maxDelayMs, maxRetryAfterMs })) checkNonNegative(name, value);
  if (!Number.isInteger(maxRetries)) throw new TypeError(`withRetries: expected \`maxRetries\` to be an integer, got ${maxRetries}.`);
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const logger = getLogger('providers.retry');

  function delayFor(error: ProviderError, attempt: number): { delayMs: number; capped: boolean } {
    if (error.retryAfterMs !== undefined) {
      const capped = error.retryAfterMs > maxRetryAfterMs;
      return { delayMs: Math.max(0, Math.min(error.retryAfterMs, maxRetryAfterMs)), capped };
    }
    // Full jitter (AWS architecture blog): spreads agents that failed together over the whole window.
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return { delayMs: Math.round(random() * ceiling), capped: false };
  }

  return {
    name: provider.name,
    simulated: provider.simulated,
    // Counting is not a model call: it passes by untouched.
    ...(provider.countInputTokens === undefined ? {} : { countInputTokens: provider.countInputTokens.bind(provider) }),
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
      for (let attempt = 0; ; attempt += 1) {
        signal?.throwIfAborted();
        try {
          return await provider.complete(request, signal);
        } catch (error) {
          // An aborted call ends now, whatever error the provider turned the abort into.
          signal?.throwIfAborted();
          if (!(error instanceof ProviderError) || !error.retryable) throw error;
          if (attempt >= maxRetries) throw attempt === 0 ? error : new RetriesExhaustedError({ lastError: error, attempts: attempt + 1 });
          const retry = attempt + 1;
          const { delayMs, capped } = delayFor(error, retry);
          const { agentId, purpose, taskId } = request.metadata;
          if (capped) {
            logger.warn('retry-after capped', {
              provider: provider.name,
              agentId,
              purpose,
              taskId,
              retryAfterMs: error.retryAfterMs,
              cappedToMs: delayMs,
            });
          }
          logger.info('retrying model call', {
            provider: provider.name,
            agentId,
            purpose,
            taskId,
            attempt: retry,
            delayMs,
            failure: error.failure,
            status: error.status,
          });
          options.onRetry?.({ attempt: retry, delayMs, error, retryAfterCapped: capped });
          await pause({ ms: delayMs, signal, sleep });
        }
      }
    },
  };
}
