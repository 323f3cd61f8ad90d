/**
 * Turns a job's queue record and its tally into what is written for it:
 * `jobs/<tag>.json` (status, times, exit code or provider and model, usage,
 * cost, error) and `jobs/<tag>.out` (the output, or the reason it has none).
 */
import type { ModelPrice } from '../cost/index.js';
import type { JobRecord } from '../queue/index.js';
import type { BatchTask } from './batch-tasks.js';
import type { BatchJobRecord, BatchJobStatus } from './job-files.js';
import {
  BatchOutputInvalidError,
  costOrNull,
  describeError,
  exitCodeOf,
  isCliAgent,
  isProviderTimeout,
  type BatchAgent,
  type JobTally,
} from './run-job.js';

/** What to write for a job. */
export interface JobOutcome {
  record: BatchJobRecord;
  /** The `.out` text; undefined for a job cancelled before it started. */
  output: string | undefined;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** The record written when an attempt starts. */
export function runningRecord(input: { task: BatchTask; agent: BatchAgent; tally: JobTally; startedAt: Date }): BatchJobRecord {
  const { task, agent, tally } = input;
  return {
    version: 1,
    tag: task.tag,
    agent: task.agent,
    label: agent.label,
    status: 'running',
    attempts: tally.attempts,
    startedAt: input.startedAt.toISOString(),
    endedAt: null,
    durationMs: null,
    exitCode: null,
    provider: agent.provider.name,
    model: tally.model,
    usage: tally.usage,
    usageEstimated: isCliAgent(agent),
    simulated: tally.simulated,
    costUsd: null,
    error: null,
    runnerPid: process.pid,
  };
}

function errorText(input: {
  status: BatchJobStatus;
  queued: JobRecord<string>;
  timeoutMs: number;
  attemptsAllowed: number;
}): string | null {
  const { status, queued } = input;
  if (status === 'completed') return null;
  if (status === 'cancelled') {
    return queued.attempts > 0
      ? 'cancelled: the batch was interrupted while this job ran'
      : 'cancelled before it started: the batch was interrupted';
  }
  // The queue's own timeout; a provider's timeout (a failure) already says what happened.
  if (status === 'timeout' && queued.status === 'timeout') {
    return (
      `timed out after ${input.timeoutMs / 1000} s on attempt ${queued.attempts} of ${input.attemptsAllowed}; ` +
      'the agent was stopped (a CLI agent with its child processes)'
    );
  }
  return describeError(queued.error);
}

/** Builds a finished job's record and output from the queue's record. */
export function jobOutcome(input: {
  task: BatchTask;
  agent: BatchAgent;
  tally: JobTally;
  queued: JobRecord<string>;
  timeoutMs: number;
  retries: number;
  prices: Readonly<Record<string, ModelPrice>> | undefined;
}): JobOutcome {
  const { task, agent, tally, queued } = input;
  const cli = isCliAgent(agent);
  // The CLI provider's own time limit ends a call as a failure; it is a timeout all the same.
  const status: BatchJobStatus =
    queued.status === 'failed' && isProviderTimeout(queued.error) ? 'timeout' : (queued.status as BatchJobStatus);
  const error = errorText({ status, queued, timeoutMs: input.timeoutMs, attemptsAllowed: input.retries + 1 });
  const ended = queued.endedAt ?? Date.now();
  const record: BatchJobRecord = {
    version: 1,
    tag: task.tag,
    agent: task.agent,
    label: agent.label,
    status: status === 'pending' || status === 'running' ? 'cancelled' : status,
    attempts: queued.attempts,
    startedAt: iso(queued.startedAt),
    endedAt: iso(ended),
    durationMs: queued.startedAt === undefined ? null : Math.max(0, ended - queued.startedAt),
    exitCode: !cli ? null : status === 'completed' ? 0 : status === 'failed' ? exitCodeOf(queued.error) : null,
    provider: agent.provider.name,
    model: tally.model,
    usage: tally.usage,
    usageEstimated: cli,
    simulated: tally.simulated,
    costUsd: costOrNull({ usage: tally.usage, model: tally.model, prices: input.prices }),
    error,
    runnerPid: null,
  };
  if (queued.attempts === 0) return { record, output: undefined };
  if (status === 'completed') return { record, output: queued.result ?? '' };
  // A schema failure keeps the answer too: it is what to look at when fixing the prompt.
  const answer = queued.error instanceof BatchOutputInvalidError ? `\n\n--- output ---\n${queued.error.output}` : '';
  return { record, output: `${error ?? ''}${answer}\n` };
}
