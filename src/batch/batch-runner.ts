/**
 * Runs a batch: every task is one WorkerQueue job (its timeout and retries, the
 * queue's abort signal passed to the provider), each finished job is written as
 * it ends, and an interrupt cancels what is left and still leaves a valid run.
 */
import type { ModelPrice } from '../cost/index.js';
import { UsageError } from '../errors/index.js';
import { WorkerQueue } from '../queue/index.js';
import { readCarriedOver, summarizeBatch, writeBatchSummary, type BatchSummary } from './batch-summary.js';
import type { BatchTask, BatchTaskInput } from './batch-tasks.js';
import { JobFileWriter, readJobRecords, type BatchJobStatus } from './job-files.js';
import { jobOutcome, runningRecord } from './job-outcome.js';
import { prepareNewBatch, prepareResume, type PreparedBatch } from './prepare-batch.js';
import { newTally, runJobAttempt, type BatchAgent, type JobTally } from './run-job.js';

/** What a batch reports as it goes. */
export type BatchEvent =
  | { type: 'batch-start'; runDir: string; total: number; toRun: number; concurrency: number; resumed: boolean }
  | { type: 'job-start'; tag: string; attempt: number }
  | {
      type: 'job-end';
      tag: string;
      status: Exclude<BatchJobStatus, 'pending' | 'running'>;
      attempts: number;
      durationMs: number | null;
      error: string | null;
    }
  | { type: 'batch-end'; summary: BatchSummary };

/** Options of {@link runBatch}: `tasks` + `runsDir` for a new batch, or `resumeDir` to finish one. */
export interface RunBatchOptions {
  tasks?: readonly BatchTaskInput[] | undefined;
  /** Names the tasks' origin in error messages (a file, `stdin`). */
  source?: string | undefined;
  /** Parent of new run directories. */
  runsDir?: string | undefined;
  /** A run directory to resume: only its jobs that did not complete run again. */
  resumeDir?: string | undefined;
  concurrency: number;
  /** Default per-job timeout in seconds (a task's `timeout` overrides it). */
  timeoutSeconds: number;
  /** Default extra attempts after a failure or timeout (a task's `retries` overrides it). */
  retries: number;
  /** Reads a task's `agent` spec; throws for an unknown agent. */
  resolveAgent: (spec: string) => BatchAgent;
  /** Aborting it (Ctrl-C) cancels pending and in-flight jobs. */
  signal?: AbortSignal | undefined;
  onEvent?: ((event: BatchEvent) => void) | undefined;
  /** Clock for the directory name and the records' times. */
  now?: (() => Date) | undefined;
  /** Price table (config overrides included); the built-in one when absent. */
  prices?: Readonly<Record<string, ModelPrice>> | undefined;
}

/** How a batch session ended. */
export interface BatchRunResult {
  runDir: string;
  summary: BatchSummary;
  interrupted: boolean;
}

function checkOptions(options: RunBatchOptions): void {
  const { concurrency, timeoutSeconds, retries } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`Concurrency must be a whole number >= 1, found ${concurrency}.`);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
    throw new UsageError(`The timeout must be a number of seconds > 0, found ${timeoutSeconds}.`);
  if (!Number.isInteger(retries) || retries < 0) throw new UsageError(`Retries must be a whole number >= 0, found ${retries}.`);
  if ((options.tasks === undefined) === (options.resumeDir === undefined))
    throw new UsageError('Give either tasks to run (with a runs directory) or a run directory to resume, not both.');
  if (options.tasks !== undefined && options.runsDir === undefined)
    throw new UsageError('A new batch needs a runs directory to create its run directory in.');
}

/** Runs a batch (or resumes one) and returns its run directory and summary. */
export async function runBatch(options: RunBatchOptions): Promise<BatchRunResult> {
  checkOptions(options);
  const now = options.now ?? (() => new Date());
  const started = now();
  const prepared: PreparedBatch =
    options.resumeDir !== undefined
      ? await prepareResume({ runDir: options.resumeDir, resolveAgent: options.resolveAgent })
      : await prepareNewBatch({
          tasks: options.tasks ?? [],
          source: options.source ?? 'tasks',
          runsDir: options.runsDir ?? '',
          now: started,
          resolveAgent: options.resolveAgent,
        });
  const { paths, tasks, toRun } = prepared;
  const carried = options.resumeDir === undefined ? undefined : await readCarriedOver(paths);
  const firstStart = carried === undefined ? started : new Date(carried.startedAt);
  const summarize = async (status: BatchSummary['status']): Promise<BatchSummary> => {
    const at = now();
    const summary = summarizeBatch({
      paths,
      records: await readJobRecords(
        paths,
        tasks.map((task) => task.tag),
      ),
      status,
      concurrency: options.concurrency,
      startedAt: firstStart,
      now: at,
      wallMs: (carried?.wallMs ?? 0) + Math.max(0, at.getTime() - started.getTime()),
      sessions: (carried?.sessions ?? 0) + 1,
    });
    await writeBatchSummary(paths, summary);
    return summary;
  };

  await summarize('running');
  options.onEvent?.({
    type: 'batch-start',
    runDir: paths.dir,
    total: tasks.length,
    toRun: toRun.length,
    concurrency: options.concurrency,
    resumed: options.resumeDir !== undefined,
  });
  try {
    await runJobs({ prepared, options, now });
  } catch (error) {
    // Leave a summary that no longer claims a live runner, then report what broke.
    await summarize('interrupted').catch(() => undefined);
    throw error;
  }
  // An interrupt that came after the last job ended interrupted nothing.
  const interrupted =
    options.signal?.aborted === true &&
    (
      await readJobRecords(
        paths,
        toRun.map((task) => task.tag),
      )
    ).some((record) => record?.status !== 'completed');
  const summary = await summarize(interrupted ? 'interrupted' : 'finished');
  options.onEvent?.({ type: 'batch-end', summary });
  return { runDir: paths.dir, summary, interrupted };
}

/** Runs `prepared.toRun` on a WorkerQueue and writes each job's files as it ends. */
async function runJobs(input: { prepared: PreparedBatch; options: RunBatchOptions; now: () => Date }): Promise<void> {
  const { prepared, options, now } = input;
  const writer = new JobFileWriter(prepared.paths);
  await using queue = new WorkerQueue<string>({ concurrency: options.concurrency, now: () => now().getTime() });
  const byTag = new Map<string, { task: BatchTask; agent: BatchAgent; tally: JobTally; timeoutMs: number; retries: number }>();
  // Opened before the first submit, so no record can slip past it.
  const results = queue.results();
  const cancelAll = (): void => {
    for (const tag of byTag.keys()) queue.cancel(tag);
  };
  options.signal?.addEventListener('abort', cancelAll, { once: true });
  try {
    for (const task of prepared.toRun) {
      const agent = prepared.agents.get(task.tag) as BatchAgent;
      const tally = newTally(agent);
      const timeoutMs = Math.round((task.timeout ?? options.timeoutSeconds) * 1000);
      const retries = task.retries ?? options.retries;
      byTag.set(task.tag, { task, agent, tally, timeoutMs, retries });
      await queue.submit({
        id: task.tag,
        timeout: timeoutMs,
        retries,
        run: async (context) => {
          tally.attempts = context.attempt;
          tally.startedAt ??= now();
          await writer.running(runningRecord({ task, agent, tally, startedAt: tally.startedAt }));
          options.onEvent?.({ type: 'job-start', tag: task.tag, attempt: context.attempt });
          // The queue aborts this signal on timeout and cancel; the CLI provider then kills the process group.
          return runJobAttempt({ task, agent, tally, signal: context.signal });
        },
      });
    }
    // An interrupt during submission found only part of the jobs to cancel.
    if (options.signal?.aborted === true) cancelAll();
    queue.close();
    // Jobs are written side by side (the writer keeps each job's files and the ledger in order),
    // so slow disk syncs never hold back the records of jobs that end later.
    const writes: Promise<void>[] = [];
    for await (const queued of results) {
      const job = byTag.get(queued.id);
      if (job === undefined) continue;
      const { record, output } = jobOutcome({ ...job, queued, prices: options.prices });
      writes.push(
        writer.final(record, output).then(() => {
          options.onEvent?.({
            type: 'job-end',
            tag: record.tag,
            status: record.status as Exclude<BatchJobStatus, 'pending' | 'running'>,
            attempts: record.attempts,
            durationMs: record.durationMs,
            error: record.error,
          });
        }),
      );
    }
    const failure = (await Promise.allSettled(writes)).find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  } finally {
    options.signal?.removeEventListener('abort', cancelAll);
    await results.return?.();
    // Leaving early (a failed write) disposes the queue: what still runs is cancelled and awaited.
    await writer.flush();
  }
}
