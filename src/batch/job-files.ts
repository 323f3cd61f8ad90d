/**
 * A job's files: `jobs/<tag>.json` (its record, rewritten atomically as it runs
 * and ends), `jobs/<tag>.out` (its output or error) and its line in the ledger.
 */
import { appendFile } from 'node:fs/promises';
import { z } from 'zod';
import { DataFileError, StateCorruptedError } from '../errors/index.js';
import { readDataFile, writeFileAtomic, writeJsonFileAtomic } from '../files/index.js';
import type { BatchRunPaths } from './run-directory.js';

/** Where a job is: `running` while an attempt is under way, else how it ended. */
export const BATCH_JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'timeout', 'cancelled'] as const;
/** One of {@link BATCH_JOB_STATUSES}. */
export type BatchJobStatus = (typeof BATCH_JOB_STATUSES)[number];

const usageSchema = z.object({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  cacheReadTokens: z.number().int().min(0),
  cacheWriteTokens: z.number().int().min(0),
});

/** The record in `jobs/<tag>.json`. */
export const batchJobRecordSchema = z.object({
  version: z.literal(1),
  tag: z.string(),
  /** The task's agent spec as written. */
  agent: z.string(),
  /** How the spec resolved: `sim:claude-haiku-4-5`, `cli:gemini`, `agent:backend-dev`. */
  label: z.string(),
  status: z.enum(BATCH_JOB_STATUSES).exclude(['pending']),
  attempts: z.number().int().min(0),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationMs: z.number().min(0).nullable(),
  /** The agent command's exit code (CLI agents only; null when killed or not a CLI). */
  exitCode: z.number().int().nullable(),
  provider: z.string(),
  model: z.string(),
  usage: usageSchema,
  /** True for CLI agents: their usage is a tokenizer count, not the vendor's figure. */
  usageEstimated: z.boolean(),
  simulated: z.boolean(),
  /** Null when the model has no price (CLI agents, unknown models). */
  costUsd: z.number().nullable(),
  error: z.string().nullable(),
  /** The batch process running the job, so `status` can tell a live job from one left by a crash. */
  runnerPid: z.number().int().nullable(),
});

/** One job's record. */
export type BatchJobRecord = z.infer<typeof batchJobRecordSchema>;

/** Reads `jobs/<tag>.json`, or undefined when the job never started. */
export async function readJobRecord(paths: BatchRunPaths, tag: string): Promise<BatchJobRecord | undefined> {
  const file = paths.jobRecord(tag);
  try {
    return await readDataFile({ file, format: 'json', schema: batchJobRecordSchema });
  } catch (error) {
    if (error instanceof DataFileError) throw new StateCorruptedError({ file, problem: error.problem, cause: error });
    throw error;
  }
}

/** Reads the records of `tags` in order (undefined where a job has none yet). */
export async function readJobRecords(paths: BatchRunPaths, tags: readonly string[]): Promise<(BatchJobRecord | undefined)[]> {
  return Promise.all(tags.map((tag) => readJobRecord(paths, tag)));
}

/**
 * Writes job files in order per job and ledger lines in order overall. Once a
 * job's final record is written, a late `running` write (from an attempt that
 * was still starting when it timed out) is dropped instead of overwriting it.
 */
export class JobFileWriter {
  readonly #paths: BatchRunPaths;
  readonly #chains = new Map<string, Promise<void>>();
  readonly #final = new Set<string>();
  #ledger: Promise<void> = Promise.resolve();

  constructor(paths: BatchRunPaths) {
    this.#paths = paths;
  }

  #enqueue(tag: string, write: () => Promise<void>): Promise<void> {
    const next = (this.#chains.get(tag) ?? Promise.resolve()).then(write);
    // The chain continues after a failed write; the caller still sees the failure.
    this.#chains.set(
      tag,
      next.catch(() => undefined),
    );
    return next;
  }

  /** Records that an attempt started. */
  running(record: BatchJobRecord): Promise<void> {
    return this.#enqueue(record.tag, async () => {
      if (this.#final.has(record.tag)) return;
      await writeJsonFileAtomic(this.#paths.jobRecord(record.tag), record);
    });
  }

  /** Records how a job ended: its output (when it ran), its record, then its ledger line. */
  final(record: BatchJobRecord, output: string | undefined): Promise<void> {
    this.#final.add(record.tag);
    return this.#enqueue(record.tag, async () => {
      if (output !== undefined) await writeFileAtomic(this.#paths.jobOutput(record.tag), output);
      await writeJsonFileAtomic(this.#paths.jobRecord(record.tag), record);
      const { version: _version, runnerPid: _runnerPid, ...fields } = record;
      const line = `${JSON.stringify({ type: 'job-end', at: record.endedAt, ...fields })}\n`;
      this.#ledger = this.#ledger.catch(() => undefined).then(() => appendFile(this.#paths.ledger, line));
      await this.#ledger;
    });
  }

  /** True once the job's final record was asked for. */
  isFinal(tag: string): boolean {
    return this.#final.has(tag);
  }

  /** Waits for every write asked for so far. */
  async flush(): Promise<void> {
    await Promise.all([...this.#chains.values(), this.#ledger.catch(() => undefined)]);
  }
}
