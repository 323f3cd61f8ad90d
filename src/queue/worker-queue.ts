/**
 * WorkerQueue: runs async jobs with bounded concurrency, backpressure on
 * submit, per-attempt timeouts, retries, cancel, and a stream of finished
 * records. It knows nothing of the rest of agent-team.
 *
 * Slots: a job holds its slot until its `run()` settles. Cancel and timeout
 * abort the job's signal and set its record at once ('cancelled' or
 * 'timeout', entering `results()` then), but a `run()` that ignores its
 * signal keeps the slot until it settles. That is what keeps "never more
 * than `concurrency` runs at once" true; the cost is that a stuck `run()`
 * stays counted in `runningCount` and delays `join()`.
 */
import { DuplicateJobIdError, QueueClosedError } from './queue-errors.js';
import {
  AttemptContext,
  describeValue,
  FinishedLog,
  Fifo,
  isCount,
  isFinalStatus,
  isTimeout,
  Job,
  MAX_TIMEOUT,
  normalizeTimeout,
  snapshotJob,
  specProblem,
  type JobRecord,
  type JobSpec,
  type JobStatus,
} from './job.js';

/** Options of a WorkerQueue. */
export interface WorkerQueueOptions {
  /** Most jobs running at once: a positive integer. */
  concurrency: number;
  /** Milliseconds per attempt for jobs that set no `timeout`; 0 or absent means none. */
  defaultTimeout?: number;
  /** Most jobs waiting to start; a submit beyond it waits for room. Default Infinity. */
  maxQueueSize?: number;
  /** How many finished records `getJob()` and new `results()` iterators can still see. Default 10,000. */
  retainFinished?: number;
  /** Clock for the records' timestamps. Default `Date.now`. */
  now?: () => number;
}

/** A submit waiting for room in the queue. */
interface Submission<T> {
  readonly job: Job<T>;
  readonly resolve: (id: string) => void;
  readonly reject: (error: unknown) => void;
}

const DEFAULT_RETAIN_FINISHED = 10_000;

/**
 * A job queue with bounded concurrency. Finished records are kept for
 * `getJob()` and `results()` up to `retainFinished` (the most recent ones),
 * so a long-lived queue does not grow with the number of jobs it has run.
 */
export class WorkerQueue<T = unknown> implements AsyncDisposable {
  readonly #concurrency: number;
  readonly #defaultTimeout: number;
  readonly #maxQueueSize: number;
  readonly #now: () => number;
  /** Jobs not finished yet, and the finished ones the log still keeps. */
  readonly #jobs = new Map<string, Job<T>>();
  /** Accepted jobs in order; a cancelled one stays as a tombstone until dequeued. */
  readonly #pending = new Fifo<Job<T>>();
  #pendingCount = 0;
  #runningCount = 0;
  readonly #submissions = new Fifo<Submission<T>>();
  readonly #waitingIds = new Set<string>();
  readonly #log: FinishedLog<T>;
  #idle: { promise: Promise<void>; resolve: () => void } | undefined = undefined;
  #closed = false;
  #lastId = 0;
  // One function for every timer: setTimeout passes the job as an argument, so no closure per job.
  readonly #onTimeout = (job: Job<T>): void => this.#timeOut(job);

  constructor(options: WorkerQueueOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected options to be an object such as { concurrency: 4 }, got ${describeValue(options)}.`);
    }
    const { concurrency, defaultTimeout, maxQueueSize, retainFinished, now } = options;
    if (!(typeof concurrency === 'number' && Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new TypeError(
        `Expected \`concurrency\` to be a positive integer (the most jobs running at once), got ${describeValue(concurrency)}. Pass e.g. { concurrency: 4 }.`,
      );
    }
    if (maxQueueSize !== undefined && !isCount(maxQueueSize, 1)) {
      throw new TypeError(
        `Expected \`maxQueueSize\` to be a positive integer or Infinity, got ${describeValue(maxQueueSize)}. Leave it out for an unbounded queue.`,
      );
    }
    if (retainFinished !== undefined && !isCount(retainFinished, 0)) {
      throw new TypeError(
        `Expected \`retainFinished\` to be a non-negative integer or Infinity, got ${describeValue(retainFinished)}. ` +
          `Leave it out to keep the ${DEFAULT_RETAIN_FINISHED} most recent records.`,
      );
    }
    if (defaultTimeout !== undefined && !isTimeout(defaultTimeout)) {
      throw new TypeError(
        `Expected \`defaultTimeout\` to be milliseconds from 0 (none) to ${MAX_TIMEOUT}, or Infinity, got ${describeValue(defaultTimeout)}.`,
      );
    }
    if (now !== undefined && typeof now !== 'function') {
      throw new TypeError(
        `Expected \`now\` to be a function returning milliseconds, got ${describeValue(now)}. Leave it out to use Date.now.`,
      );
    }
    this.#concurrency = concurrency;
    this.#defaultTimeout = normalizeTimeout(defaultTimeout);
    this.#maxQueueSize = maxQueueSize ?? Number.POSITIVE_INFINITY;
    this.#now = now ?? Date.now;
    this.#log = new FinishedLog<T>({ retain: retainFinished ?? DEFAULT_RETAIN_FINISHED, evict: (job) => this.#forget(job) });
  }

  /** Jobs accepted and waiting for a slot. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Slots in use: jobs whose `run()` has not settled, including cancelled or timed-out ones still winding down. */
  get runningCount(): number {
    return this.#runningCount;
  }

  /**
   * Accepts a job and resolves with its id. When `maxQueueSize` jobs are
   * pending, the promise waits for room (first come, first accepted);
   * `close()` rejects the submits still waiting.
   */
  submit(spec: JobSpec<T>): Promise<string> {
    if (this.#closed) return Promise.reject(new QueueClosedError());
    const problem = specProblem(spec);
    if (problem !== undefined) return Promise.reject(new TypeError(problem));
    let id = spec.id;
    if (id === undefined) {
      do {
        this.#lastId += 1;
        id = `job-${this.#lastId}`;
      } while (this.#knows(id));
    } else if (this.#knows(id)) {
      return Promise.reject(new DuplicateJobIdError(id));
    }
    const timeout = spec.timeout === undefined ? this.#defaultTimeout : normalizeTimeout(spec.timeout);
    const job = new Job<T>({ id, run: spec.run, timeout, retries: spec.retries ?? 0, metadata: spec.metadata });
    if (this.#pendingCount < this.#maxQueueSize && this.#submissions.size === 0) {
      this.#accept(job);
      this.#pump();
      return Promise.resolve(id);
    }
    this.#waitingIds.add(id);
    return new Promise((resolve, reject) => this.#submissions.push({ job, resolve, reject }));
  }

  /**
   * Cancels a job: a pending one never runs; a running one has its signal
   * aborted and its record set to 'cancelled' now (its slot frees when its
   * `run()` settles, whose outcome is then ignored). False for a finished,
   * forgotten or unknown id, and for a submit still waiting for room.
   */
  cancel(id: string): boolean {
    const job = this.#jobs.get(id);
    if (job === undefined || isFinalStatus(job.status)) return false;
    const reason = new DOMException(`Job "${id}" was cancelled.`, 'AbortError');
    if (job.status === 'pending') {
      this.#pendingCount -= 1;
      job.error = reason;
      this.#finish(job, 'cancelled');
      job.run = undefined;
      // Only tombstones are left: drop them now rather than when a slot frees.
      if (this.#pendingCount === 0) while (this.#pending.shift() !== undefined);
      this.#admitSubmissions();
      this.#pump();
      this.#settleIdle();
      return true;
    }
    // A cancel wins over a timeout that has not fired yet.
    if (job.timer !== undefined) {
      clearTimeout(job.timer);
      job.timer = undefined;
    }
    // The record is final before abort listeners run, so one that calls back into the queue sees it.
    job.error = reason;
    this.#finish(job, 'cancelled');
    job.controller?.abort(reason);
    return true;
  }

  /** A snapshot of a job's record, or undefined for an unknown or forgotten id. */
  getJob(id: string): JobRecord<T> | undefined {
    const job = this.#jobs.get(id);
    return job === undefined ? undefined : snapshotJob(job);
  }

  /**
   * Every job reaching a final status, in completion order, starting with the
   * finished jobs still retained. The iterator ends once the queue is closed
   * and idle (no job pending or running) and it has yielded everything, so
   * `submit…; close(); for await (…)` or `join(); close()` both end it.
   * Break out of the loop (or call `return()`) to stop early: an open
   * iterator keeps the records it has not read yet.
   */
  results(): AsyncIterableIterator<JobRecord<T>> {
    return this.#log.open();
  }

  /** Resolves when no job is pending or running (right away if none is). */
  join(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    if (this.#idle === undefined) {
      let resolve: () => void = noop;
      const promise = new Promise<void>((settle) => {
        resolve = settle;
      });
      this.#idle = { promise, resolve };
    }
    return this.#idle.promise;
  }

  /** Refuses further submits (and rejects those waiting for room); accepted jobs still run. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (let submission = this.#submissions.shift(); submission !== undefined; submission = this.#submissions.shift()) {
      this.#waitingIds.delete(submission.job.id);
      submission.reject(new QueueClosedError());
    }
    this.#settleIdle();
  }

  /** Closes the queue, cancels every pending and running job and waits for their `run()` to settle. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    // Map order is submission order, so the cancelled records reach results() in that order.
    for (const job of this.#jobs.values()) if (!isFinalStatus(job.status)) this.cancel(job.id);
    await this.join();
  }

  #knows(id: string): boolean {
    return this.#jobs.has(id) || this.#waitingIds.has(id);
  }

  #accept(job: Job<T>): void {
    job.queuedAt = this.#now();
    this.#jobs.set(job.id, job);
    this.#pending.push(job);
    this.#pendingCount += 1;
  }

  /** Starts pending jobs while slots are free. */
  #pump(): void {
    while (this.#runningCount < this.#concurrency && this.#pendingCount > 0) {
      const job = this.#pending.shift() as Job<T>;
      if (job.status !== 'pending') continue;
      this.#pendingCount -= 1;
      this.#admitSubmissions();
      this.#runningCount += 1;
      void this.#execute(job);
    }
  }

  #admitSubmissions(): void {
    while (this.#pendingCount < this.#maxQueueSize && this.#submissions.size > 0) {
      const submission = this.#submissions.shift() as Submission<T>;
      this.#waitingIds.delete(submission.job.id);
      this.#accept(submission.job);
      submission.resolve(submission.job.id);
    }
  }

  /** Runs a job's attempts in its slot, then frees the slot. Never rejects. */
  async #execute(job: Job<T>): Promise<void> {
    job.status = 'running';
    job.startedAt = this.#now();
    for (;;) {
      const run = job.run;
      if (run === undefined) break;
      job.attempts += 1;
      const controller = new AbortController();
      job.controller = controller;
      if (job.timeout > 0) job.timer = setTimeout(this.#onTimeout, job.timeout, job);
      let failed = false;
      let outcome: unknown;
      try {
        outcome = await run(new AttemptContext(job, controller));
      } catch (error) {
        failed = true;
        outcome = error;
      }
      if (job.timer !== undefined) {
        clearTimeout(job.timer);
        job.timer = undefined;
      }
      // Cancelled, or timed out with no retry left: the record is already final.
      if (isFinalStatus(job.status)) break;
      const timedOut = job.timedOut;
      job.timedOut = false;
      if (!timedOut) {
        job.result = failed ? undefined : (outcome as T);
        job.error = failed ? outcome : undefined;
        if (!failed) {
          this.#finish(job, 'completed');
          break;
        }
        if (job.attempts > job.retries) {
          this.#finish(job, 'failed');
          break;
        }
      }
      // Otherwise retry at once in the same slot, with a fresh signal.
    }
    job.run = undefined;
    job.controller = undefined;
    this.#runningCount -= 1;
    this.#pump();
    this.#settleIdle();
  }

  #timeOut(job: Job<T>): void {
    job.timer = undefined;
    if (isFinalStatus(job.status)) return;
    const reason = new DOMException(`Job "${job.id}" timed out after ${job.timeout} ms (attempt ${job.attempts}).`, 'TimeoutError');
    job.timedOut = true;
    // The record changes before abort listeners run; the slot stays taken until run() settles.
    job.error = reason;
    if (job.attempts > job.retries) this.#finish(job, 'timeout');
    job.controller?.abort(reason);
  }

  /** Makes a job's status final (its result or error already set) and publishes it to results(). */
  #finish(job: Job<T>, status: JobStatus): void {
    job.status = status;
    job.endedAt = this.#now();
    this.#log.append(job);
  }

  #forget(job: Job<T>): void {
    // Identity check: an evicted job must not remove a newer job that reused its id.
    if (this.#jobs.get(job.id) === job) this.#jobs.delete(job.id);
  }

  #isIdle(): boolean {
    return this.#pendingCount === 0 && this.#runningCount === 0;
  }

  /** Resolves `join()` and, once closed, ends the results when nothing is pending or running. */
  #settleIdle(): void {
    if (!this.#isIdle()) return;
    const idle = this.#idle;
    this.#idle = undefined;
    idle?.resolve();
    if (this.#closed) this.#log.end();
  }
}

/**
 * Runs jobs on a fresh queue and returns their records in submission order.
 * It keeps every record (whatever `retainFinished` says) since it returns
 * them all; if a submit is refused, the jobs already started are cancelled.
 */
export async function runAgents<T>(jobs: readonly JobSpec<T>[], options: WorkerQueueOptions): Promise<JobRecord<T>[]> {
  await using queue = new WorkerQueue<T>({ ...options, retainFinished: Number.POSITIVE_INFINITY });
  const ids: string[] = [];
  for (const job of jobs) ids.push(await queue.submit(job));
  await queue.join();
  // Nothing is evicted with unbounded retention, so every id has a record.
  return ids.map((id) => queue.getJob(id) as JobRecord<T>);
}

function noop(): void {}
