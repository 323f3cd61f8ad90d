import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors/index.js';
import { RetriesExhaustedError, withRetries } from '../../src/providers/index.js';
import type { RetryEvent } from '../../src/providers/retry.js';
import type { LlmRequest } from '../../src/providers/index.js';
import { createScriptedProvider } from '../support/scripted-provider.js';

const REQUEST: LlmRequest = {
  model: 'claude-sonnet-5',
  system: 'You are a developer.',
  messages: [{ role: 'user', content: 'Do the task.' }],
  maxTokens: 1000,
  metadata: { agentId: 'dev-1', role: 'backend_developer', purpose: 'work', taskId: 'task-1' },
};

function rateLimited(retryAfterMs?: number): ProviderError {
  return new ProviderError({
    provider: 'scripted',
    message: 'rate limited (429)',
    failure: 'rate_limit',
    status: 429,
    retryable: true,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** A sleep that waits no time and records what it was asked to wait. */
function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return { delays, sleep: async (ms) => void delays.push(ms) };
}

describe('withRetries', () => {
  it('keeps the name and simulated flag of the provider it wraps', () => {
    const wrapped = withRetries(createScriptedProvider({ name: 'anthropic' }));
    expect(wrapped.name).toBe('anthropic');
    expect(wrapped.simulated).toBe(false);
  });

  it('retries a retryable error maxRetries times with full-jitter exponential delays, then gives up with the count', async () => {
    const errors = [rateLimited(), rateLimited(), rateLimited(), rateLimited(), rateLimited()];
    const provider = createScriptedProvider().enqueue(...errors.map((error) => ({ error })));
    const { delays, sleep } = recordingSleep();
    const events: RetryEvent[] = [];
    const wrapped = withRetries(provider, { maxRetries: 4, sleep, random: () => 0.5, onRetry: (event) => events.push(event) });

    const failure = await wrapped.complete(REQUEST).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RetriesExhaustedError);
    expect(failure).toBeInstanceOf(ProviderError);
    const exhausted = failure as RetriesExhaustedError;
    expect(exhausted.attempts).toBe(5);
    expect(exhausted.message).toBe('scripted: rate limited (429) (gave up after 5 attempts)');
    expect(exhausted).toMatchObject({ failure: 'rate_limit', status: 429, retryable: true });
    expect(exhausted.cause).toBe(errors[4]);
    expect(provider.calls).toHaveLength(5);
    // 0.5 × 500·2^n: 250, 500, 1000, 2000.
    expect(delays).toEqual([250, 500, 1000, 2000]);
    expect(events.map((event) => [event.attempt, event.delayMs, event.error])).toEqual([
      [1, 250, errors[0]],
      [2, 500, errors[1]],
      [3, 1000, errors[2]],
      [4, 2000, errors[3]],
    ]);
    provider.assertComplete();
  });

  it('caps the backoff window at maxDelayMs', async () => {
    const provider = createScriptedProvider().enqueue(...Array.from({ length: 5 }, () => ({ error: rateLimited() })));
    const { delays, sleep } = recordingSleep();
    const wrapped = withRetries(provider, { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 1500, sleep, random: () => 1 });
    await expect(wrapped.complete(REQUEST)).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(delays).toEqual([500, 1000, 1500, 1500]);
  });

  it('waits what the server asked for in retry-after, capped at maxRetryAfterMs', async () => {
    const provider = createScriptedProvider().enqueue({ error: rateLimited(2_000) }, { error: rateLimited(120_000) }, 'done');
    const { delays, sleep } = recordingSleep();
    const events: RetryEvent[] = [];
    const wrapped = withRetries(provider, { maxRetryAfterMs: 60_000, sleep, random: () => 0.5, onRetry: (event) => events.push(event) });

    const response = await wrapped.complete(REQUEST);

    expect(response.text).toBe('done');
    expect(delays).toEqual([2_000, 60_000]);
    expect(events.map((event) => event.retryAfterCapped)).toEqual([false, true]);
  });

  it('does not retry a non-retryable ProviderError or any other error', async () => {
    const auth = new ProviderError({ provider: 'scripted', message: 'invalid x-api-key', failure: 'auth', status: 401, retryable: false });
    const bug = new TypeError('a bug, not an outage');
    const provider = createScriptedProvider().enqueue({ error: auth }, { error: bug });
    const { delays, sleep } = recordingSleep();
    const wrapped = withRetries(provider, { sleep });

    await expect(wrapped.complete(REQUEST)).rejects.toBe(auth);
    await expect(wrapped.complete(REQUEST)).rejects.toBe(bug);
    expect(provider.calls).toHaveLength(2);
    expect(delays).toEqual([]);
  });

  it('succeeds after two 429s', async () => {
    const provider = createScriptedProvider().enqueue({ error: rateLimited() }, { error: rateLimited() }, 'finally');
    const { delays, sleep } = recordingSleep();
    const wrapped = withRetries(provider, { sleep, random: () => 0 });

    const response = await wrapped.complete(REQUEST);

    expect(response.text).toBe('finally');
    expect(delays).toEqual([0, 0]);
    provider.assertComplete();
  });

  it('stops at once when the signal aborts during a wait, even if the sleep ignores the signal', async () => {
    const provider = createScriptedProvider().enqueue({ error: rateLimited() }, 'never reached');
    const controller = new AbortController();
    const reason = new Error('run interrupted');
    // A sleep that never ends by itself: only the abort can end the wait.
    const sleep = (): Promise<void> => {
      queueMicrotask(() => controller.abort(reason));
      return new Promise<void>(() => undefined);
    };
    const wrapped = withRetries(provider, { sleep });

    await expect(wrapped.complete(REQUEST, controller.signal)).rejects.toBe(reason);
    expect(provider.calls).toHaveLength(1);
  });

  it('neither calls nor retries once the signal has aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const provider = createScriptedProvider().enqueue({
      respond: () => {
        controller.abort(reason);
        // What an adapter makes of an aborted connection: retryable, but the caller is gone.
        throw new ProviderError({ provider: 'scripted', message: 'connection reset', failure: 'connection', retryable: true });
      },
    });
    const { delays, sleep } = recordingSleep();
    const wrapped = withRetries(provider, { sleep });

    await expect(wrapped.complete(REQUEST, controller.signal)).rejects.toBe(reason);
    await expect(wrapped.complete(REQUEST, controller.signal)).rejects.toBe(reason);
    expect(provider.calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('refuses options that cannot work', () => {
    const provider = createScriptedProvider();
    expect(() => withRetries(provider, { maxRetries: -1 })).toThrow(/maxRetries.*from 0 up, got -1/);
    expect(() => withRetries(provider, { maxRetries: 1.5 })).toThrow(/maxRetries.*integer/);
  });
});
