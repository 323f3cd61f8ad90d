import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runAgents, WorkerQueue, type JobContext, type JobRecord } from '../../src/queue/index.js';

/** A promise settled by hand, so the test (not the clock) decides when a job ends. */
interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = string>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise reaction run; with fake timers, no time passes. */
async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** A run() that rejects with the signal's reason once aborted, as a well-behaved job does. */
function untilAborted(context: JobContext): Promise<never> {
  return new Promise((_, reject) => {
    context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true });
  });
}

/** Tracks whether a promise has settled yet, without awaiting it. */
function track<T>(promise: Promise<T>): { settled: boolean; value: T | undefined } {
  const state: { settled: boolean; value: T | undefined } = { settled: false, value: undefined };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('WorkerQueue options', () => {
  it.each([
    [{ concurrency: 0 }, /Expected `concurrency` to be a positive integer .*got `0` \(number\)\. Pass e\.g\. \{ concurrency: 4 \}/],
    [{ concurrency: 1.5 }, /`concurrency`.*got `1\.5` \(number\)/],
    [{ concurrency: '2' }, /`concurrency`.*got `2` \(string\)/],
    [{ concurrency: Number.POSITIVE_INFINITY }, /`concurrency`.*got `Infinity` \(number\)/],
    [{ concurrency: 1, maxQueueSize: 0 }, /Expected `maxQueueSize` to be a positive integer or Infinity, got `0` \(number\)/],
    [{ concurrency: 1, maxQueueSize: -1 }, /`maxQueueSize`.*got `-1`/],
    [{ concurrency: 1, retainFinished: -1 }, /Expected `retainFinished` to be a non-negative integer or Infinity, got `-1`/],
    [
      { concurrency: 1, defaultTimeout: -5 },
      /Expected `defaultTimeout` to be milliseconds from 0 \(none\) to 2147483647, or Infinity, got `-5`/,
    ],
    [{ concurrency: 1, defaultTimeout: Number.NaN }, /`defaultTimeout`.*got `NaN`/],
    [{ concurrency: 1, defaultTimeout: 2 ** 31 }, /`defaultTimeout`.*got `2147483648`/],
    [{ concurrency: 1, now: 5 }, /Expected `now` to be a function/],
    [undefined, /Expected options to be an object such as \{ concurrency: 4 \}, got `undefined` \(undefined\)/],
  ])('rejects %o with a TypeError that says what was expected', (options, message) => {
    expect(() => new WorkerQueue(options as never)).toThrow(TypeError);
    expect(() => new WorkerQueue(options as never)).toThrow(message);
  });

  it('accepts Infinity for maxQueueSize and retainFinished, and 0 for retainFinished', () => {
    expect(
      () => new WorkerQueue({ concurrency: 2, maxQueueSize: Number.POSITIVE_INFINITY, retainFinished: Number.POSITIVE_INFINITY }),
    ).not.toThrow();
    expect(() => new WorkerQueue({ concurrency: 2, retainFinished: 0, defaultTimeout: 0 })).not.toThrow();
  });

  it('rejects a submit with an invalid job spec', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    await expect(queue.submit({ run: 'nope' } as never)).rejects.toThrow(
      /Expected `run` to be a function returning a promise, got `nope` \(string\)/,
    );
    await expect(queue.submit({ run: async () => 1, retries: 1.5 })).rejects.toThrow(
      /Expected `retries` to be a non-negative integer, got `1\.5`/,
    );
    await expect(queue.submit({ run: async () => 1, timeout: -1 })).rejects.toThrow(TypeError);
    await expect(queue.submit({ run: async () => 1, id: '' })).rejects.toThrow(/Expected `id` to be a non-empty string/);
  });
});

describe('WorkerQueue concurrency and backpressure', () => {
  it('never runs more than `concurrency` jobs at once', async () => {
    const queue = new WorkerQueue<number>({ concurrency: 3 });
    const gates = Array.from({ length: 10 }, () => deferred<number>());
    let maxSeen = 0;
    for (const [index, gate] of gates.entries()) {
      await queue.submit({
        id: `J${index}`,
        run: () => {
          maxSeen = Math.max(maxSeen, queue.runningCount);
          return gate.promise;
        },
      });
    }
    expect(queue.runningCount).toBe(3);
    expect(queue.pendingCount).toBe(7);
    // Finish them in a scrambled order, one at a time.
    for (const index of [2, 0, 5, 1, 9, 3, 4, 8, 6, 7]) {
      gates[index]?.resolve(index);
      await flush();
      expect(queue.runningCount).toBeLessThanOrEqual(3);
    }
    await queue.join();
    expect(maxSeen).toBe(3);
    expect(queue.runningCount).toBe(0);
    expect(queue.pendingCount).toBe(0);
    expect(queue.getJob('J4')).toMatchObject({ status: 'completed', result: 4, attempts: 1 });
  });

  it('makes a submit wait while maxQueueSize jobs are pending, admitting waiters in order', async () => {
    const queue = new WorkerQueue<string>({ concurrency: 1, maxQueueSize: 2 });
    const first = deferred();
    const second = deferred();
    await queue.submit({ id: 'A', run: () => first.promise });
    await queue.submit({ id: 'B', run: () => second.promise });
    await queue.submit({ id: 'C', run: async () => 'c' });
    expect(queue.runningCount).toBe(1);
    expect(queue.pendingCount).toBe(2);

    const fourth = track(queue.submit({ id: 'D', run: async () => 'd' }));
    const fifth = track(queue.submit({ id: 'E', run: async () => 'e' }));
    await flush();
    expect(fourth.settled).toBe(false);
    expect(fifth.settled).toBe(false);
    expect(queue.getJob('D')).toBeUndefined();

    // A ends, B starts: one place frees up, and the first waiter (D) takes it.
    first.resolve('a');
    await flush();
    expect(queue.getJob('B')?.status).toBe('running');
    expect(fourth).toEqual({ settled: true, value: 'D' });
    expect(fifth.settled).toBe(false);
    expect(queue.pendingCount).toBe(2);

    second.resolve('b');
    await queue.join();
    expect(fifth).toEqual({ settled: true, value: 'E' });
    expect(queue.getJob('E')?.status).toBe('completed');
  });

  it('rejects a duplicate id and generates ids that skip taken ones', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    await expect(queue.submit({ id: 'job-2', run: async () => 1 })).resolves.toBe('job-2');
    await expect(queue.submit({ id: 'job-2', run: async () => 1 })).rejects.toThrow(/A job with id "job-2" is already in this queue/);
    await expect(queue.submit({ run: async () => 1 })).resolves.toBe('job-1');
    await expect(queue.submit({ run: async () => 1 })).resolves.toBe('job-3');
  });
});

describe('WorkerQueue cancel', () => {
  it('cancels a pending job, which then never runs', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    const gate = deferred();
    const neverRun = vi.fn(async () => 'never');
    await queue.submit({ id: 'running', run: () => gate.promise });
    await queue.submit({ id: 'waiting', run: neverRun, metadata: { role: 'qa' } });

    expect(queue.cancel('waiting')).toBe(true);
    expect(queue.pendingCount).toBe(0);
    expect(queue.getJob('waiting')).toMatchObject({ status: 'cancelled', attempts: 0, metadata: { role: 'qa' } });
    expect(queue.cancel('waiting')).toBe(false);
    expect(queue.cancel('unknown')).toBe(false);

    gate.resolve('done');
    await queue.join();
    expect(neverRun).not.toHaveBeenCalled();
  });

  it('aborts a running job, records it cancelled and frees its slot when run() settles', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    let signal: AbortSignal | undefined;
    await queue.submit({
      id: 'cooperative',
      run: (context) => {
        signal = context.signal;
        return untilAborted(context);
      },
    });
    const next = vi.fn(async () => 'next');
    await queue.submit({ id: 'next', run: next });

    expect(queue.cancel('cooperative')).toBe(true);
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as Error | undefined)?.name).toBe('AbortError');
    expect(queue.getJob('cooperative')?.status).toBe('cancelled');
    await flush();
    expect(queue.runningCount).toBe(0);
    expect(next).toHaveBeenCalledOnce();
    expect(queue.getJob('next')?.status).toBe('completed');
    expect(queue.cancel('cooperative')).toBe(false);
  });

  it('keeps the slot of a run() that ignores its signal until it settles, and ignores its outcome', async () => {
    const queue = new WorkerQueue<string>({ concurrency: 1 });
    const stubborn = deferred();
    await queue.submit({ id: 'stubborn', run: () => stubborn.promise });
    const next = vi.fn(async () => 'next');
    await queue.submit({ id: 'next', run: next });

    expect(queue.cancel('stubborn')).toBe(true);
    await flush();
    expect(queue.getJob('stubborn')?.status).toBe('cancelled');
    expect(queue.runningCount).toBe(1);
    expect(next).not.toHaveBeenCalled();

    stubborn.resolve('late');
    await flush();
    expect(queue.getJob('stubborn')).toMatchObject({ status: 'cancelled' });
    expect(queue.getJob('stubborn')?.result).toBeUndefined();
    expect(next).toHaveBeenCalledOnce();
  });
});

describe('WorkerQueue timeouts and retries', () => {
  it('times a job out: aborts its signal with a TimeoutError and records timeout', async () => {
    const queue = new WorkerQueue({ concurrency: 1, defaultTimeout: 1_000, now: () => Date.now() });
    const started = Date.now();
    let signal: AbortSignal | undefined;
    await queue.submit({
      id: 'slow',
      run: (context) => {
        signal = context.signal;
        return untilAborted(context);
      },
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(queue.getJob('slow')?.status).toBe('running');
    expect(signal?.aborted).toBe(false);

    await vi.advanceTimersByTimeAsync(1);
    expect(signal?.aborted).toBe(true);
    expect((signal?.reason as Error | undefined)?.name).toBe('TimeoutError');
    const record = queue.getJob('slow');
    expect(record).toMatchObject({ status: 'timeout', attempts: 1, queuedAt: started, startedAt: started, endedAt: started + 1_000 });
    expect((record?.error as Error | undefined)?.message).toMatch(/Job "slow" timed out after 1000 ms/);
    await queue.join();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets a job timeout override the default, and clears the timer when the job settles', async () => {
    const queue = new WorkerQueue({ concurrency: 2, defaultTimeout: 1_000 });
    const gate = deferred();
    await queue.submit({ id: 'short', timeout: 10, run: untilAborted });
    await queue.submit({ id: 'none', timeout: 0, run: () => gate.promise });
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(queue.getJob('short')?.status).toBe('timeout');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(queue.getJob('none')?.status).toBe('running');
    gate.resolve('ok');
    await queue.join();
    expect(queue.getJob('none')?.status).toBe('completed');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries a failing job exactly `retries` times, each attempt with a fresh signal', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    const attempts: number[] = [];
    const signals = new Set<AbortSignal>();
    await queue.submit({
      id: 'flaky',
      retries: 2,
      run: async (context) => {
        attempts.push(context.attempt);
        signals.add(context.signal);
        throw new Error(`attempt ${context.attempt} failed`);
      },
    });
    await queue.join();
    expect(attempts).toEqual([1, 2, 3]);
    expect(signals.size).toBe(3);
    const record = queue.getJob('flaky');
    expect(record).toMatchObject({ status: 'failed', attempts: 3 });
    expect((record?.error as Error | undefined)?.message).toBe('attempt 3 failed');
  });

  it('completes on a retry and clears the earlier error', async () => {
    const queue = new WorkerQueue<string>({ concurrency: 1 });
    await queue.submit({
      id: 'second-time',
      retries: 3,
      run: async (context) => {
        if (context.attempt === 1) throw new Error('first try');
        return 'ok';
      },
    });
    await queue.join();
    const record = queue.getJob('second-time');
    expect(record).toMatchObject({ status: 'completed', result: 'ok', attempts: 2 });
    expect(record?.error).toBeUndefined();
  });

  it('retries after a timeout, and records timeout when the last attempt times out too', async () => {
    const queue = new WorkerQueue<string>({ concurrency: 1 });
    const seen: number[] = [];
    await queue.submit({
      id: 'recovers',
      timeout: 100,
      retries: 1,
      run: async (context) => {
        seen.push(context.attempt);
        if (context.attempt === 1) return untilAborted(context);
        return 'second attempt';
      },
    });
    await queue.submit({
      id: 'gives-up',
      timeout: 100,
      retries: 1,
      run: (context) => {
        seen.push(context.attempt);
        return untilAborted(context);
      },
    });
    await vi.advanceTimersByTimeAsync(100);
    expect(queue.getJob('recovers')).toMatchObject({ status: 'completed', result: 'second attempt', attempts: 2 });
    await vi.advanceTimersByTimeAsync(100);
    expect(queue.getJob('gives-up')).toMatchObject({ status: 'running', attempts: 2 });
    await vi.advanceTimersByTimeAsync(100);
    expect(queue.getJob('gives-up')).toMatchObject({ status: 'timeout', attempts: 2 });
    expect(seen).toEqual([1, 2, 1, 2]);
  });

  it('lets a cancel win over a pending timeout, and never retries after a cancel', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    const run = vi.fn(untilAborted);
    await queue.submit({ id: 'doomed', timeout: 100, retries: 3, run });
    await vi.advanceTimersByTimeAsync(50);
    expect(queue.cancel('doomed')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queue.getJob('doomed')).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(run).toHaveBeenCalledOnce();
  });
});

describe('WorkerQueue results, join and close', () => {
  it('yields records in completion order, including jobs finished before it was created', async () => {
    const queue = new WorkerQueue<string>({ concurrency: 3 });
    await queue.submit({ id: 'early', run: async () => 'early' });
    await flush();
    const gates = { a: deferred(), b: deferred(), c: deferred() };
    for (const [id, gate] of Object.entries(gates)) await queue.submit({ id, run: () => gate.promise });

    const seen: JobRecord<string>[] = [];
    const reading = (async () => {
      for await (const record of queue.results()) seen.push(record);
    })();
    gates.c.resolve('C');
    await flush();
    gates.a.resolve('A');
    await flush();
    gates.b.reject(new Error('B broke'));
    await queue.join();
    queue.close();
    await reading;
    expect(seen.map((record) => [record.id, record.status])).toEqual([
      ['early', 'completed'],
      ['c', 'completed'],
      ['a', 'completed'],
      ['b', 'failed'],
    ]);
  });

  it('ends results() once the queue is closed and idle, not merely idle', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    const results = queue.results();
    const first = track(results.next());
    await queue.submit({ id: 'one', run: async () => 1 });
    await queue.join();
    expect(first).toMatchObject({ settled: true, value: { done: false, value: { id: 'one' } } });
    const second = track(results.next());
    await flush();
    expect(second.settled).toBe(false);
    queue.close();
    await flush();
    expect(second).toEqual({ settled: true, value: { done: true, value: undefined } });
  });

  it('forgets all but the retainFinished most recent records, for getJob and for new iterators', async () => {
    const queue = new WorkerQueue({ concurrency: 1, retainFinished: 2 });
    for (const id of ['a', 'b', 'c']) await queue.submit({ id, run: async () => id });
    await queue.join();
    queue.close();
    expect(queue.getJob('a')).toBeUndefined();
    expect(queue.getJob('b')).toMatchObject({ status: 'completed' });
    const ids: string[] = [];
    for await (const record of queue.results()) ids.push(record.id);
    expect(ids).toEqual(['b', 'c']);
  });

  it('records a run() that throws synchronously as failed', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    await queue.submit({
      id: 'throws',
      run: () => {
        throw new Error('not even a promise');
      },
    });
    await queue.join();
    expect(queue.getJob('throws')).toMatchObject({ status: 'failed', error: new Error('not even a promise') });
  });

  it('keeps records an open iterator has not read, beyond retainFinished', async () => {
    const queue = new WorkerQueue({ concurrency: 1, retainFinished: 1 });
    const results = queue.results();
    for (const id of ['a', 'b', 'c']) await queue.submit({ id, run: async () => id });
    await queue.join();
    expect(queue.getJob('a')).toBeDefined();
    expect((await results.next()).value).toMatchObject({ id: 'a' });
    expect(queue.getJob('a')).toBeUndefined();
    await results.return?.();
    expect(queue.getJob('b')).toBeUndefined();
    expect(queue.getJob('c')).toMatchObject({ status: 'completed' });
  });

  it('returns snapshots that later changes do not touch', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    const gate = deferred();
    await queue.submit({ id: 'x', run: () => gate.promise });
    const before = queue.getJob('x');
    gate.resolve('done');
    await queue.join();
    expect(before?.status).toBe('running');
    expect(queue.getJob('x')).toMatchObject({ status: 'completed', result: 'done' });
  });

  it('resolves join() only when nothing is pending or running', async () => {
    const queue = new WorkerQueue({ concurrency: 1 });
    await expect(queue.join()).resolves.toBeUndefined();
    const gates = [deferred(), deferred()];
    for (const gate of gates) await queue.submit({ run: () => gate.promise });
    const joined = track(queue.join());
    gates[0]?.resolve('first');
    await flush();
    expect(joined.settled).toBe(false);
    gates[1]?.resolve('second');
    await flush();
    expect(joined.settled).toBe(true);
  });

  it('rejects submits after close(), including those waiting for room, and still runs accepted jobs', async () => {
    const queue = new WorkerQueue({ concurrency: 1, maxQueueSize: 1 });
    const gate = deferred();
    await queue.submit({ id: 'running', run: () => gate.promise });
    await queue.submit({ id: 'pending', run: async () => 'pending' });
    const waiting = queue.submit({ id: 'waiting', run: async () => 'waiting' });
    queue.close();
    await expect(waiting).rejects.toThrow(/WorkerQueue is closed: it accepts no more jobs/);
    await expect(queue.submit({ run: async () => 'late' })).rejects.toThrow(/WorkerQueue is closed/);
    gate.resolve('done');
    await queue.join();
    expect(queue.getJob('pending')?.status).toBe('completed');
    expect(queue.getJob('waiting')).toBeUndefined();
  });
});

describe('WorkerQueue disposal and runAgents', () => {
  it('cancels what remains when an `await using` block ends, after running jobs settle', async () => {
    let disposed: WorkerQueue | undefined;
    let runningSignal: AbortSignal | undefined;
    const neverRun = vi.fn(async () => 'never');
    {
      await using queue = new WorkerQueue({ concurrency: 1 });
      disposed = queue;
      await queue.submit({
        id: 'running',
        run: (context) => {
          runningSignal = context.signal;
          return untilAborted(context);
        },
      });
      await queue.submit({ id: 'pending', run: neverRun });
    }
    expect(runningSignal?.aborted).toBe(true);
    expect(disposed.getJob('running')?.status).toBe('cancelled');
    expect(disposed.getJob('pending')?.status).toBe('cancelled');
    expect(disposed.runningCount).toBe(0);
    expect(neverRun).not.toHaveBeenCalled();
    await expect(disposed.submit({ run: async () => 1 })).rejects.toThrow(/closed/);
  });

  it('runAgents returns records in submission order, whatever order they finish in', async () => {
    const gates = [deferred(), deferred(), deferred()];
    const records = runAgents(
      gates.map((gate, index) => ({ id: `agent-${index}`, run: () => gate.promise, metadata: { index } })),
      { concurrency: 3 },
    );
    await flush();
    gates[2]?.resolve('third');
    await flush();
    gates[0]?.reject(new Error('first failed'));
    await flush();
    gates[1]?.resolve('second');
    const done = await records;
    expect(done.map((record) => [record.id, record.status, record.result])).toEqual([
      ['agent-0', 'failed', undefined],
      ['agent-1', 'completed', 'second'],
      ['agent-2', 'completed', 'third'],
    ]);
    expect(done[1]?.metadata).toEqual({ index: 1 });
  });

  it('runAgents keeps every record even past the default retention', async () => {
    const jobs = Array.from({ length: 10_050 }, (_, index) => ({ run: async () => index }));
    const records = await runAgents(jobs, { concurrency: 8, retainFinished: 5 });
    expect(records).toHaveLength(10_050);
    expect(records[0]).toMatchObject({ id: 'job-1', result: 0 });
    expect(records.at(-1)).toMatchObject({ id: 'job-10050', result: 10_049 });
  });
});
