/**
 * The batch run directory: `<runsDir>/<UTC timestamp>` holding tasks.json,
 * run_ledger.jsonl, summary.json and jobs/<tag>.out + jobs/<tag>.json.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DataFileError, StateCorruptedError, UsageError } from '../errors/index.js';
import { errorCode, readDataFile } from '../files/index.js';
import { batchTaskSchema, prepareBatchTasks, type BatchTask } from './batch-tasks.js';

/** Paths of everything in one batch run directory. */
export interface BatchRunPaths {
  readonly dir: string;
  readonly tasks: string;
  readonly ledger: string;
  readonly summary: string;
  readonly jobs: string;
  readonly combined: string;
  jobOutput(tag: string): string;
  jobRecord(tag: string): string;
}

/** The paths of a run directory (nothing is created). */
export function batchRunPaths(dir: string): BatchRunPaths {
  const jobs = join(dir, 'jobs');
  return {
    dir,
    tasks: join(dir, 'tasks.json'),
    ledger: join(dir, 'run_ledger.jsonl'),
    summary: join(dir, 'summary.json'),
    jobs,
    combined: join(dir, 'combined.json'),
    jobOutput: (tag) => join(jobs, `${tag}.out`),
    jobRecord: (tag) => join(jobs, `${tag}.json`),
  };
}

const pad = (value: number): string => String(value).padStart(2, '0');

/** `2026-11-22_12-34-56` in UTC: sorts by time and is a valid file name everywhere. */
export function runTimestamp(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}_` +
    `${pad(date.getUTCHours())}-${pad(date.getUTCMinutes())}-${pad(date.getUTCSeconds())}`
  );
}

/** Creates a new, empty run directory (with jobs/) under `runsDir`; a second batch in the same second gets `-2`, `-3`… */
export async function createBatchRunDirectory(input: { runsDir: string; now: Date }): Promise<BatchRunPaths> {
  await mkdir(input.runsDir, { recursive: true });
  const base = runTimestamp(input.now);
  for (let suffix = 1; ; suffix += 1) {
    const dir = join(input.runsDir, suffix === 1 ? base : `${base}-${suffix}`);
    try {
      // Not recursive: EEXIST is how two batches started in one second tell each other apart.
      await mkdir(dir);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') continue;
      throw error;
    }
    const paths = batchRunPaths(dir);
    await mkdir(paths.jobs);
    return paths;
  }
}

/** Reads a run's tasks.json back (for resume, status and collect); every task must carry its tag. */
export async function readRunTasks(dir: string): Promise<BatchTask[]> {
  const paths = batchRunPaths(dir);
  let tasks: BatchTask[] | undefined;
  try {
    tasks = await readDataFile({ file: paths.tasks, format: 'json', schema: z.array(batchTaskSchema.extend({ tag: z.string() })) });
  } catch (error) {
    if (error instanceof DataFileError) throw new StateCorruptedError({ file: paths.tasks, problem: error.problem, cause: error });
    throw error;
  }
  if (tasks === undefined) {
    throw new UsageError(
      `${dir} is not a batch run directory: it has no tasks.json. Pass the directory that \`agent-team batch run\` printed.`,
    );
  }
  // The same checks as a new batch: a hand-edited tasks.json must not escape jobs/ either.
  return prepareBatchTasks({ tasks, source: paths.tasks });
}
