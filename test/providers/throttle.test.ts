import { describe, expect, it } from 'vitest';
import type { LlmProvider, LlmRequest, LlmResponse, Usage } from '../../src/providers/index.js';
import { estimateRequestTokens, type ThrottleClock } from '../../src/providers/throttle.js';
import { withThrottle } from '../../src/providers/index.js';

/** A clock that moves only when the test says so. */
class FakeClock implements ThrottleClock {
  #now = 0;
  #timers: { at: number; resolve: () => void }[] = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = { at: this.#now + ms, resolve };
      this.#timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.#timers = this.#timers.filter((candidate) => candidate !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.length;
  }

  async advance(ms: number): Promise<void> {
    this.#now += ms;
    const due = this.#timers.filter((timer) => timer.at <= this.#now);
    this.#timers = this.#timers.filter((timer) => timer.at > this.#now);
    for (const timer of due) timer.resolve();
    await settle();
  }
}

/** Lets every pending promise chain run. */
async function settle(): Promise<void> {
  for (let round = 0; round < 10; round += 1) await new Promise((resolve) => setImmediate(resolve));
}

function request(taskId: string, sizes: { maxTokens?: number; chars?: number } = {}): LlmRequest {
  const chars = sizes.chars ?? 40;
  return {
    model: 'claude-sonnet-5',
    system: 's'.repeat(chars / 2),
    messages: [{ role: 'user', content: 'm'.repeat(chars / 2) }],
    maxTokens: sizes.maxTokens ?? 100,
    metadata: { agentId: 'dev-1', role: 'backend_developer', purpose: 'work', taskId },
  };
}

/** A provider that records what it runs and answers when `hold` lets it. */
function fakeProvider(options: { usage?: Usage; hold?: (request: LlmRequest) => Promise<void> } = {}) {
  const started: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const provider: LlmProvider = {
    name: 'fake',
    simulated: false,
    async complete(request: LlmRequest): Promise<LlmResponse> {
      started.push(request.metadata.taskId ?? '');
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        // One turn of the event loop, so calls overlap.
        await (options.hold?.(request) ?? new Promise((resolve) => setImmediate(resolve)));
      } finally {
        inFlight -= 1;
      }
      const usage = options.usage ?? { inputTokens: 10, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 };
      return { text: 'ok', usage, model: request.model, stopReason: 'end', latencyMs: 1, simulated: false };
    },
  };
  return { provider, started, maxInFlight: () => maxInFlight };
}

/** Tracks whether a promise settled, without awaiting it. */
function track<T>(promise: Promise<T>): { done: () => boolean; promise: Promise<T> } {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  return { done: () => done, promise };
}

describe('estimateRequestTokens', () => {
  it('is maxTokens plus a quarter of the prompt characters, rounded up', () => {
    expect(estimateRequestTokens(request('t', { maxTokens: 400, chars: 42 }))).toBe(400 + 11);
  });
});

describe('withThrottle', () => {
  it('never lets more than maxConcurrent calls reach the provider, and starts them in arrival order', async () => {
    const fake = fakeProvider();
    const throttled = withThrottle(fake.provider, { maxConcurrent: 3, clock: new FakeClock() });
    const ids = Array.from({ length: 20 }, (_, index) => `task-${index}`);

    const responses = await Promise.all(ids.map((id) => throttled.complete(request(id))));

    expect(responses).toHaveLength(20);
    expect(fake.maxInFlight()).toBe(3);
    expect(fake.started).toEqual(ids);
    expect(throttled.stats()).toMatchObject({ maxInFlight: 3, requests: 20 });
    expect(throttled.name).toBe('fake');
  });

  it('holds a call back until the requests-per-minute window rolls', async () => {
    const clock = new FakeClock();
    const fake = fakeProvider();
    const throttled = withThrottle(fake.provider, { maxConcurrent: 10, requestsPerMinute: 2, clock });

    const calls = ['a', 'b', 'c'].map((id) => track(throttled.complete(request(id))));
    await settle();
    expect(calls.map((call) => call.done())).toEqual([true, true, false]);

    await clock.advance(59_999);
    expect(calls[2]?.done()).toBe(false);
    await clock.advance(1);
    expect(calls[2]?.done()).toBe(true);
    expect(fake.started).toEqual(['a', 'b', 'c']);
    expect(throttled.stats().totalWaitedMs).toBe(60_000);
  });

  it('holds a call back until the tokens-per-minute window has room', async () => {
    const clock = new FakeClock();
    // Each request is estimated at 400 + 40/4 = 410 tokens and really uses as much.
    const fake = fakeProvider({ usage: { inputTokens: 10, outputTokens: 400, cacheReadTokens: 0, cacheWriteTokens: 0 } });
    const throttled = withThrottle(fake.provider, { maxConcurrent: 10, tokensPerMinute: 1000, clock });

    const first = track(throttled.complete(request('a', { maxTokens: 400 })));
    await clock.advance(30_000);
    const calls = [first, ...['b', 'c'].map((id) => track(throttled.complete(request(id, { maxTokens: 400 }))))];
    await settle();
    expect(calls.map((call) => call.done())).toEqual([true, true, false]);

    // 'a' leaves the window at 60 s, which makes room for 'c'.
    await clock.advance(29_999);
    expect(calls[2]?.done()).toBe(false);
    await clock.advance(1);
    expect(calls[2]?.done()).toBe(true);
  });

  it('corrects the token window with the real usage of finished calls', async () => {
    const clock = new FakeClock();
    // Estimated at 410 tokens each, but each really uses 20.
    const fake = fakeProvider();
    const throttled = withThrottle(fake.provider, { maxConcurrent: 10, tokensPerMinute: 1000, clock });

    const calls = ['a', 'b', 'c'].map((id) => track(throttled.complete(request(id, { maxTokens: 400 }))));
    await settle();

    expect(calls.map((call) => call.done())).toEqual([true, true, true]);
    expect(clock.now()).toBe(0);
  });

  it('lets a call larger than the whole token budget run alone rather than never', async () => {
    const clock = new FakeClock();
    const fake = fakeProvider();
    const throttled = withThrottle(fake.provider, { maxConcurrent: 10, tokensPerMinute: 100, clock });
    await expect(throttled.complete(request('huge', { maxTokens: 5_000 }))).resolves.toMatchObject({ text: 'ok' });
  });

  it('takes a waiting call out of the queue the moment its signal aborts', async () => {
    let releaseFirst: () => void = () => undefined;
    const fake = fakeProvider({
      hold: (held) => (held.metadata.taskId === 'first' ? new Promise<void>((resolve) => (releaseFirst = resolve)) : Promise.resolve()),
    });
    const throttled = withThrottle(fake.provider, { maxConcurrent: 1, clock: new FakeClock() });
    const controller = new AbortController();
    const reason = new Error('agent stopped');

    const first = track(throttled.complete(request('first')));
    const second = track(throttled.complete(request('second'), controller.signal));
    const third = track(throttled.complete(request('third')));
    await settle();
    controller.abort(reason);

    await expect(second.promise).rejects.toBe(reason);
    expect(first.done()).toBe(false);
    releaseFirst();
    await third.promise;
    expect(fake.started).toEqual(['first', 'third']);
    expect(throttled.stats().requests).toBe(2);
  });

  it('cancels its window timer when the only waiting call aborts', async () => {
    const clock = new FakeClock();
    const throttled = withThrottle(fakeProvider().provider, { maxConcurrent: 5, requestsPerMinute: 1, clock });
    await throttled.complete(request('a'));
    const controller = new AbortController();
    const waiting = throttled.complete(request('b'), controller.signal);
    await settle();
    expect(clock.pending).toBe(1);

    controller.abort(new Error('stop'));

    await expect(waiting).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
  });

  it('refuses limits below 1', () => {
    expect(() => withThrottle(fakeProvider().provider, { maxConcurrent: 0 })).toThrow(/maxConcurrent.*from 1 up, got 0/);
  });
});
