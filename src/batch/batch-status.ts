/**
 * `status`: where a batch run is, read from its files alone, so it works from
 * another process while the batch runs and after it crashed.
 */
import { resolve } from 'node:path';
import { isProcessAlive } from '../files/index.js';
import { countByStatus, readBatchSummary, type BatchRunStatus } from './batch-summary.js';
import { readJobRecords, type BatchJobStatus } from './job-files.js';
import { batchRunPaths, readRunTasks } from './run-directory.js';

/** A job whose record says `running`. */
export interface RunningJob {
  tag: string;
  attempt: number;
  startedAt: string | null;
  /** False when the process that ran it is gone (a crash): the job will not end by itself. */
  runnerAlive: boolean;
}

/** Where a batch run is. */
export interface BatchStatusReport {
  runDir: string;
  /** From summary.json; `running` with a dead runner is reported as `interrupted`. */
  status: BatchRunStatus;
  total: number;
  byStatus: Record<BatchJobStatus, number>;
  running: RunningJob[];
  /** True while a live process is still working on the run. */
  active: boolean;
}

/** Reads a run directory's state: counts by status and the running jobs. */
export async function batchStatus(runDir: string): Promise<BatchStatusReport> {
  const paths = batchRunPaths(resolve(runDir));
  const tasks = await readRunTasks(paths.dir);
  const records = await readJobRecords(
    paths,
    tasks.map((task) => task.tag),
  );
  const summary = await readBatchSummary(paths);
  const alive = new Map<number, boolean>();
  const isAlive = (pid: number | null): boolean => {
    if (pid === null) return false;
    if (!alive.has(pid)) alive.set(pid, isProcessAlive(pid));
    return alive.get(pid) === true;
  };
  const running = records.flatMap((record): RunningJob[] =>
    record?.status === 'running'
      ? [{ tag: record.tag, attempt: record.attempts, startedAt: record.startedAt, runnerAlive: isAlive(record.runnerPid) }]
      : [],
  );
  const active = summary?.status === 'running' && isAlive(summary.runnerPid);
  const status: BatchRunStatus =
    summary === undefined ? 'interrupted' : summary.status === 'running' && !active ? 'interrupted' : summary.status;
  return { runDir: paths.dir, status, total: tasks.length, byStatus: countByStatus(records), running, active };
}
