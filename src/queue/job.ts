/**
 * Job types, their validation, the queue's internal job entry and the
 * storage it is kept in: a ring-buffer FIFO and the bounded log of finished
 * jobs that `results()` iterators read.
 */

/** Where a job is in its life; the last four never change again. */
export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'timeout' | 'cancelled';

/** What one attempt of a job's `run()` receives. */
export interface JobContext {
  readonly id: string;
  /** Aborted on cancel or timeout; a fresh signal for every attempt. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
}

/** A unit of work handed to `WorkerQueue#submit`. */
export interface JobSpec<T> {
  /** Generated (`job-1`, `job-2`, …) when absent; an id the queue still knows is an error. */
  id?: string;
  run: (context: JobContext) => Promise<T>;
  /** Milliseconds per attempt; overrides the queue's `defaultTimeout`; 0 means none. */
  timeout?: number;
  /** Extra attempts after a failure or a timeout (never after a cancel); default 0. */
  retries?: number;
  /** Carried through to the job's record untouched (not copied). */
  metadata?: Record<string, unknown>;
}

/** A snapshot of a job: what `getJob()` returns and `results()` yields. */
export interface JobRecord<T> {
  readonly id: string;
  status: JobStatus;
  result?: T;
  /** The last attempt's rejection, the TimeoutError, or the AbortError of a cancel. */
  error?: unknown;
  /** Attempts started so far. */
  attempts: number;
  /** When the queue accepted the job (after any backpressure wait). */
  queuedAt: number;
  startedAt?: number;
  endedAt?: number;
  metadata?: Record<string, unknown>;
}

/** Whether a job has reached a status it never leaves. */
export function isFinalStatus(status: JobStatus): boolean {
  return status !== 'pending' && status !== 'running';
}

/**
 * The context of one attempt. Reading `signal` is what creates the
 * AbortSignal inside Node's AbortController (a few microseconds each), so a
 * getter keeps jobs that never look at it from paying for it.
 */
export class AttemptContext implements JobContext {
  readonly id: string;
  readonly attempt: number;
  readonly #controller: AbortController;

  constructor(job: Job<unknown>, controller: AbortController) {
    this.id = job.id;
    this.attempt = job.attempts;
    this.#controller = controller;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }
}

/**
 * The queue's mutable entry for a job. It has the fields of a JobRecord so a
 * snapshot is a plain copy; every field is set in the constructor to keep one
 * object shape for all jobs.
 */
export class Job<T> implements JobRecord<T> {
  readonly id: string;
  status: JobStatus = 'pending';
  result: T | undefined = undefined;
  error: unknown = undefined;
  attempts = 0;
  queuedAt = 0;
  startedAt: number | undefined = undefined;
  endedAt: number | undefined = undefined;
  readonly metadata: Record<string, unknown> | undefined;
  /** Dropped once the job is over, so retained records do not pin the caller's closures. */
  run: ((context: JobContext) => Promise<T>) | undefined;
  /** Milliseconds per attempt, 0 for none. */
  readonly timeout: number;
  readonly retries: number;
  controller: AbortController | undefined = undefined;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Set when the current attempt's timer fired, read once that attempt settles. */
  timedOut = false;

  constructor(input: {
    id: string;
    run: (context: JobContext) => Promise<T>;
    timeout: number;
    retries: number;
    metadata: Record<string, unknown> | undefined;
  }) {
    this.id = input.id;
    this.run = input.run;
    this.timeout = input.timeout;
    this.retries = input.retries;
    this.metadata = input.metadata;
  }
}

/** Longest timeout setTimeout honours: it turns larger delays into 1 ms, so those are refused rather than firing at once. */
export const MAX_TIMEOUT = 2_147_483_647;

/** A value as p-queue shows it in option errors: `value` (type). */
export function describeValue(value: unknown): string {
  return `\`${String(value)}\` (${value === null ? 'null' : typeof value})`;
}

/** An integer from `minimum` up, or Infinity. */
export function isCount(value: unknown, minimum: number): boolean {
  return typeof value === 'number' && (value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= minimum));
}

/** Milliseconds setTimeout can honour, or Infinity for none. */
export function isTimeout(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && (value <= MAX_TIMEOUT || value === Number.POSITIVE_INFINITY);
}

/** 0 stands for "no timeout" inside the queue. */
export function normalizeTimeout(value: number | undefined): number {
  return value === undefined || value === Number.POSITIVE_INFINITY ? 0 : value;
}

/** Why a job spec cannot be accepted, or undefined when it can. */
export function specProblem(spec: JobSpec<unknown>): string | undefined {
  if (typeof spec !== 'object' || spec === null)
    return `Expected a job to be an object such as { run: async () => … }, got ${describeValue(spec)}.`;
  if (typeof spec.run !== 'function') return `Expected \`run\` to be a function returning a promise, got ${describeValue(spec.run)}.`;
  if (spec.id !== undefined && (typeof spec.id !== 'string' || spec.id === ''))
    return `Expected \`id\` to be a non-empty string, got ${describeValue(spec.id)}. Leave it out to get a generated one.`;
  if (spec.timeout !== undefined && !isTimeout(spec.timeout))
    return `Expected \`timeout\` to be milliseconds from 0 (none) to ${MAX_TIMEOUT}, or Infinity, got ${describeValue(spec.timeout)}.`;
  if (spec.retries !== undefined && !(Number.isInteger(spec.retries) && spec.retries >= 0))
    return `Expected \`retries\` to be a non-negative integer, got ${describeValue(spec.retries)}.`;
  return undefined;
}

/** A copy of a job's record fields, detached from later changes. */
export function snapshotJob<T>(job: Job<T>): JobRecord<T> {
  const record: JobRecord<T> = { id: job.id, status: job.status, attempts: job.attempts, queuedAt: job.queuedAt };
  if (job.result !== undefined) record.result = job.result;
  if (job.error !== undefined) record.error = job.error;
  if (job.startedAt !== undefined) record.startedAt = job.startedAt;
  if (job.endedAt !== undefined) record.endedAt = job.endedAt;
  if (job.metadata !== undefined) record.metadata = job.metadata;
  return record;
}

/** A growable ring buffer: O(1) push and shift, unlike `Array#shift` on a long array. */
export class Fifo<T> {
  #items: (T | undefined)[] = new Array<T | undefined>(16).fill(undefined);
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) & (this.#items.length - 1)] = item;
    this.#size += 1;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    // Clear the slot so a consumed item can be collected.
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#size -= 1;
    return item;
  }

  /** The item `index` places from the front, or undefined. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.#size) return undefined;
    return this.#items[(this.#head + index) & (this.#items.length - 1)];
  }

  #grow(): void {
    // Capacity stays a power of two so wrapping is a mask, not a modulo.
    const grown = new Array<T | undefined>(this.#items.length * 2).fill(undefined);
    for (let index = 0; index < this.#size; index += 1) grown[index] = this.at(index);
    this.#items = grown;
    this.#head = 0;
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * Finished jobs in completion order, each with a sequence number. It keeps
 * the `retain` most recent, plus any an open `results()` iterator has not
 * read yet: an iterator never misses a job, but one left unread and never
 * returned pins what finishes after its position.
 */
export class FinishedLog<T> {
  readonly #jobs = new Fifo<Job<T>>();
  /** Sequence number of the oldest job kept. */
  #base = 0;
  #ended = false;
  readonly #cursors = new Set<ResultsCursor<T>>();
  readonly #retain: number;
  readonly #evict: (job: Job<T>) => void;

  constructor(input: { retain: number; evict: (job: Job<T>) => void }) {
    this.#retain = input.retain;
    this.#evict = input.evict;
  }

  /** True once no job will ever be appended again. */
  get ended(): boolean {
    return this.#ended;
  }

  append(job: Job<T>): void {
    this.#jobs.push(job);
    this.trim();
    for (const cursor of this.#cursors) cursor.wake();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const cursor of this.#cursors) cursor.wake();
  }

  /** The job with sequence number `sequence`, if it is kept. */
  at(sequence: number): Job<T> | undefined {
    return this.#jobs.at(sequence - this.#base);
  }

  /** A new iterator starting at the oldest kept job. */
  open(): ResultsCursor<T> {
    const cursor = new ResultsCursor<T>(this, this.#base);
    if (!this.#ended) this.#cursors.add(cursor);
    return cursor;
  }

  release(cursor: ResultsCursor<T>): void {
    if (this.#cursors.delete(cursor)) this.trim();
  }

  /** Drops the oldest jobs beyond `retain` that no open iterator still has to read. */
  trim(): void {
    if (this.#jobs.size <= this.#retain) return;
    let floor = Number.POSITIVE_INFINITY;
    for (const cursor of this.#cursors) floor = Math.min(floor, cursor.position);
    while (this.#jobs.size > this.#retain && this.#base < floor) {
      this.#evict(this.#jobs.shift() as Job<T>);
      this.#base += 1;
    }
  }
}

/** One `results()` iterator: a position in the FinishedLog plus the `next()` calls waiting on it. */
class ResultsCursor<T> implements AsyncIterableIterator<JobRecord<T>> {
  /** Sequence number of the next job to yield. */
  position: number;
  readonly #log: FinishedLog<T>;
  readonly #waiting = new Fifo<(result: IteratorResult<JobRecord<T>, undefined>) => void>();
  #done = false;

  constructor(log: FinishedLog<T>, position: number) {
    this.#log = log;
    this.position = position;
  }

  next(): Promise<IteratorResult<JobRecord<T>, undefined>> {
    // Calls that overlap queue behind earlier ones so values come out in order.
    if (this.#waiting.size === 0) {
      const result = this.#take();
      if (result !== undefined) return Promise.resolve(result);
    }
    if (this.#done) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  return(): Promise<IteratorResult<JobRecord<T>, undefined>> {
    this.#finish();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Called by the log when a job was appended or the log ended. */
  wake(): void {
    while (this.#waiting.size > 0) {
      const result = this.#take();
      if (result === undefined) return;
      // Reaching the end already answered every waiting call; then there is no one left to shift.
      this.#waiting.shift()?.(result);
    }
  }

  /** The next result if one is ready (a record, or the end), else undefined. */
  #take(): IteratorResult<JobRecord<T>, undefined> | undefined {
    if (this.#done) return DONE;
    const job = this.#log.at(this.position);
    if (job !== undefined) {
      this.position += 1;
      this.#log.trim();
      return { value: snapshotJob(job), done: false };
    }
    if (!this.#log.ended) return undefined;
    this.#finish();
    return DONE;
  }

  #finish(): void {
    if (this.#done && this.#waiting.size === 0) return;
    this.#done = true;
    this.#log.release(this);
    for (let resolve = this.#waiting.shift(); resolve !== undefined; resolve = this.#waiting.shift()) resolve(DONE);
  }
}
