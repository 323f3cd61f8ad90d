/**
 * WorkerQueue throughput and memory: no-op jobs at concurrency 64 with a
 * bounded queue, each submit awaited (so a full queue makes the submitter
 * wait), at two job counts so that peak heap growth can be compared.
 * Target: >= 100,000 jobs/s and a peak that does not grow with the job count.
 * A second pass uses jobs that last one macrotask, so the queue really fills
 * and the backpressure path carries the load.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WorkerQueue, type JobSpec } from '../../src/queue/index.js';

const CONCURRENCY = 64;
const MAX_QUEUE_SIZE = 1024;
const SAMPLE_EVERY = 10_000;

interface Pass {
  jobsPerSecond: number;
  heapBeforeMb: number;
  /** Largest live heap seen at a sample, minus the heap before the pass. */
  heapPeakGrowthMb: number;
  heapAfterMb: number;
  maxPending: number;
}

const noOp: JobSpec<undefined>['run'] = async () => undefined;
const oneMacrotask: JobSpec<undefined>['run'] = () => nextMacrotask(undefined);

/**
 * `global.gc` when node runs with --expose-gc; otherwise the flag is turned
 * on now and gc taken from a fresh context, so that `npx tsx` alone still
 * samples the live heap rather than whatever garbage the young generation
 * holds at that moment.
 */
const collectGarbage: () => void =
  (globalThis as { gc?: () => void }).gc ??
  ((): (() => void) => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();

/** The live heap: collected first, and the time that takes kept out of the throughput. */
function liveHeap(): { bytes: number; gcMs: number } {
  const started = performance.now();
  collectGarbage();
  const gcMs = performance.now() - started;
  return { bytes: process.memoryUsage().heapUsed, gcMs };
}

function megabytes(bytes: number): number {
  return Number((bytes / 1024 / 1024).toFixed(2));
}

async function pass(jobCount: number, run: JobSpec<undefined>['run']): Promise<Pass> {
  const before = liveHeap().bytes;
  const driven = await drive(jobCount, run, before);
  // The queue is out of reach now: this shows what it leaves behind.
  const after = liveHeap().bytes;
  return {
    jobsPerSecond: Math.round(jobCount / driven.seconds),
    heapBeforeMb: megabytes(before),
    heapPeakGrowthMb: megabytes(driven.peak - before),
    heapAfterMb: megabytes(after),
    maxPending: driven.maxPending,
  };
}

async function drive(
  jobCount: number,
  run: JobSpec<undefined>['run'],
  before: number,
): Promise<{ seconds: number; peak: number; maxPending: number }> {
  let peak = before;
  let gcMs = 0;
  let maxPending = 0;
  const started = performance.now();
  const queue = new WorkerQueue<undefined>({ concurrency: CONCURRENCY, maxQueueSize: MAX_QUEUE_SIZE });
  for (let index = 1; index <= jobCount; index += 1) {
    await queue.submit({ run });
    if (queue.pendingCount > maxPending) maxPending = queue.pendingCount;
    if (index % SAMPLE_EVERY === 0) {
      const sample = liveHeap();
      peak = Math.max(peak, sample.bytes);
      gcMs += sample.gcMs;
    }
  }
  await queue.join();
  queue.close();
  const seconds = (performance.now() - started - gcMs) / 1000;
  // Once more with every retained record still held by the queue.
  peak = Math.max(peak, liveHeap().bytes);
  return { seconds, peak, maxPending };
}

/** Runs the benchmark and returns its figures. */
export async function benchWorkerQueue(): Promise<Record<string, number>> {
  // Warm the JIT so the first measured pass is not the one paying for compilation.
  await pass(20_000, noOp);
  const small = await pass(10_000, noOp);
  const large = await pass(100_000, noOp);
  const filling = await pass(100_000, oneMacrotask);
  console.log(
    `WorkerQueue: concurrency ${CONCURRENCY}, maxQueueSize ${MAX_QUEUE_SIZE}, each submit awaited; ` +
      `live heap sampled every ${SAMPLE_EVERY.toLocaleString('en-US')} jobs`,
  );
  for (const [label, figures] of [
    ['10,000 no-op jobs', small],
    ['100,000 no-op jobs', large],
    ['100,000 one-macrotask jobs', filling],
  ] as const) {
    console.log(
      `  ${label}: ${figures.jobsPerSecond.toLocaleString('en-US')} jobs/s (target: >= 100,000); ` +
        `heap before ${figures.heapBeforeMb} MB, peak growth ${figures.heapPeakGrowthMb} MB, after ${figures.heapAfterMb} MB; ` +
        `max pending ${figures.maxPending}`,
    );
  }
  console.log(
    `  peak heap growth, 100,000 vs 10,000 no-op jobs: ${large.heapPeakGrowthMb} MB vs ${small.heapPeakGrowthMb} MB (should not scale with the job count)`,
  );
  return {
    queue_jobs_per_second_10k: small.jobsPerSecond,
    queue_jobs_per_second_100k: large.jobsPerSecond,
    queue_heap_peak_growth_mb_10k: small.heapPeakGrowthMb,
    queue_heap_peak_growth_mb_100k: large.heapPeakGrowthMb,
    queue_heap_after_mb_100k: large.heapAfterMb,
    queue_backpressure_jobs_per_second_100k: filling.jobsPerSecond,
    queue_backpressure_max_pending: filling.maxPending,
    queue_backpressure_heap_peak_growth_mb_100k: filling.heapPeakGrowthMb,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchWorkerQueue();
}
