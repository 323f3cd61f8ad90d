/**
 * Everything a batch checks and sets up before its first job: tasks, tags and
 * agents are validated, then (for a new batch) the run directory is created.
 */
import { resolve } from 'node:path';
import { AgentTeamError, ConfigError, UsageError, type ConfigIssue } from '../errors/index.js';
import { isProcessAlive, writeJsonFileAtomic } from '../files/index.js';
import { readBatchSummary } from './batch-summary.js';
import { prepareBatchTasks, type BatchTask, type BatchTaskInput } from './batch-tasks.js';
import { readJobRecords } from './job-files.js';
import { batchRunPaths, createBatchRunDirectory, readRunTasks, type BatchRunPaths } from './run-directory.js';
import type { BatchAgent } from './run-job.js';

/** A batch ready to run. */
export interface PreparedBatch {
  paths: BatchRunPaths;
  /** Every task of the run, in order. */
  tasks: BatchTask[];
  /** The tasks this session runs: all of them, or on resume those not completed. */
  toRun: BatchTask[];
  agents: Map<string, BatchAgent>;
}

/** Resolves every task's agent now, so an unknown one stops the batch before any job runs. */
function resolveAgents(input: {
  tasks: readonly BatchTask[];
  all: readonly BatchTask[];
  source: string;
  resolveAgent: (spec: string) => BatchAgent;
}): Map<string, BatchAgent> {
  const agents = new Map<string, BatchAgent>();
  const issues: ConfigIssue[] = [];
  for (const task of input.tasks) {
    try {
      agents.set(task.tag, input.resolveAgent(task.agent));
    } catch (error) {
      if (!(error instanceof AgentTeamError)) throw error;
      issues.push({ path: `[${input.all.indexOf(task)}].agent`, message: error.message });
    }
  }
  if (issues.length > 0) throw new ConfigError({ file: input.source, issues });
  return agents;
}

/** Validates a new batch and creates its run directory with tasks.json and an empty jobs/. */
export async function prepareNewBatch(input: {
  tasks: readonly BatchTaskInput[];
  source: string;
  runsDir: string;
  now: Date;
  resolveAgent: (spec: string) => BatchAgent;
}): Promise<PreparedBatch> {
  const tasks = prepareBatchTasks({ tasks: input.tasks, source: input.source });
  if (tasks.length === 0) throw new UsageError(`${input.source} has no tasks: nothing to run.`);
  const agents = resolveAgents({ tasks, all: tasks, source: input.source, resolveAgent: input.resolveAgent });
  const paths = await createBatchRunDirectory({ runsDir: resolve(input.runsDir), now: input.now });
  await writeJsonFileAtomic(paths.tasks, tasks);
  return { paths, tasks, toRun: tasks, agents };
}

/** Reopens a run directory and picks the jobs that did not complete; refuses a run that is still going. */
export async function prepareResume(input: { runDir: string; resolveAgent: (spec: string) => BatchAgent }): Promise<PreparedBatch> {
  const paths = batchRunPaths(resolve(input.runDir));
  const tasks = await readRunTasks(paths.dir);
  const summary = await readBatchSummary(paths);
  if (
    summary?.status === 'running' &&
    summary.runnerPid !== null &&
    summary.runnerPid !== process.pid &&
    isProcessAlive(summary.runnerPid)
  ) {
    throw new UsageError(
      `${paths.dir} is still being run by process ${summary.runnerPid}. Wait for it (agent-team batch status --watch --run-dir ${paths.dir}) or stop it first.`,
    );
  }
  const records = await readJobRecords(
    paths,
    tasks.map((task) => task.tag),
  );
  const toRun = tasks.filter((_, index) => records[index]?.status !== 'completed');
  const agents = resolveAgents({ tasks: toRun, all: tasks, source: paths.tasks, resolveAgent: input.resolveAgent });
  return { paths, tasks, toRun, agents };
}
