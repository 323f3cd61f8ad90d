/**
 * `summary.json`: counts by status, tokens, cost and time, always recomputed
 * from the job records on disk so a resumed run adds up like a fresh one.
 */
import { z } from 'zod';
import { readDataFile, writeJsonFileAtomic } from '../files/index.js';
import { addUsage, emptyUsage, totalTokens } from '../providers/index.js';
import { BATCH_JOB_STATUSES, type BatchJobStatus, type BatchJobRecord } from './job-files.js';
import type { BatchRunPaths } from './run-directory.js';

/** Where a batch run is: under way, ended with every job final, or stopped by an interrupt. */
export type BatchRunStatus = 'running' | 'finished' | 'interrupted';

/** The content of `summary.json`. */
export interface BatchSummary {
  version: 1;
  status: BatchRunStatus;
  runDir: string;
  total: number;
  byStatus: Record<BatchJobStatus, number>;
  tokens: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; total: number };
  /** Sum over jobs whose model has a price. */
  costUsd: number;
  /** Jobs that used tokens on a model without a price: their cost is not in `costUsd`. */
  unpricedJobs: number;
  /** Jobs whose usage is a tokenizer estimate (CLI agents). */
  estimatedUsageJobs: number;
  /** True when every job that ran was simulated: the figures are a forecast. */
  simulated: boolean;
  concurrency: number;
  /** When the first session started. */
  startedAt: string;
  updatedAt: string;
  /** Wall time of all sessions (the first run and each resume) added up. */
  wallMs: number;
  sessions: number;
  /** The process running the batch while `status` is `running`. */
  runnerPid: number | null;
}

// Only what a later session carries over; the rest is recomputed.
const carriedSchema = z.object({ startedAt: z.string(), wallMs: z.number().min(0), sessions: z.number().int().min(0) });

/** What earlier sessions recorded (time and count), or nothing for a new run or an unreadable summary. */
export async function readCarriedOver(paths: BatchRunPaths): Promise<z.infer<typeof carriedSchema> | undefined> {
  try {
    return await readDataFile({ file: paths.summary, format: 'json', schema: carriedSchema });
  } catch {
    // A summary cut short by a crash is rebuilt from the job records; only old wall time is lost.
    return undefined;
  }
}

/** Reads `summary.json` if it is there and readable. */
export async function readBatchSummary(paths: BatchRunPaths): Promise<Pick<BatchSummary, 'status' | 'runnerPid'> | undefined> {
  const schema = z.object({ status: z.enum(['running', 'finished', 'interrupted']), runnerPid: z.number().int().nullable() });
  try {
    return await readDataFile({ file: paths.summary, format: 'json', schema });
  } catch {
    // Unreadable or cut short by a crash: the caller treats the run as having no summary.
    return undefined;
  }
}

/** Counts jobs by status; a task with no record yet is `pending`. */
export function countByStatus(records: readonly (BatchJobRecord | undefined)[]): Record<BatchJobStatus, number> {
  const counts = Object.fromEntries(BATCH_JOB_STATUSES.map((status) => [status, 0])) as Record<BatchJobStatus, number>;
  for (const record of records) counts[record?.status ?? 'pending'] += 1;
  return counts;
}

/** Builds the summary of a run from its job records. */
export function summarizeBatch(input: {
  paths: BatchRunPaths;
  records: readonly (BatchJobRecord | undefined)[];
  status: BatchRunStatus;
  concurrency: number;
  startedAt: Date;
  now: Date;
  wallMs: number;
  sessions: number;
}): BatchSummary {
  const ran = input.records.filter((record): record is BatchJobRecord => record !== undefined && record.attempts > 0);
  const usage = ran.reduce((sum, record) => addUsage(sum, record.usage), emptyUsage());
  return {
    version: 1,
    status: input.status,
    runDir: input.paths.dir,
    total: input.records.length,
    byStatus: countByStatus(input.records),
    tokens: { ...usage, total: totalTokens(usage) },
    costUsd: ran.reduce((sum, record) => sum + (record.costUsd ?? 0), 0),
    unpricedJobs: ran.filter((record) => record.costUsd === null && totalTokens(record.usage) > 0).length,
    estimatedUsageJobs: ran.filter((record) => record.usageEstimated).length,
    simulated: ran.length > 0 && ran.every((record) => record.simulated),
    concurrency: input.concurrency,
    startedAt: input.startedAt.toISOString(),
    updatedAt: input.now.toISOString(),
    wallMs: input.wallMs,
    sessions: input.sessions,
    runnerPid: input.status === 'running' ? process.pid : null,
  };
}

/** Writes `summary.json` atomically. */
export async function writeBatchSummary(paths: BatchRunPaths, summary: BatchSummary): Promise<void> {
  await writeJsonFileAtomic(paths.summary, summary);
}
