/**
 * The error hierarchy shared by every layer. Each error has a stable `code`
 * and a message that says what was expected, what was found and how to fix it.
 */
import { AgentTeamError, type ConfigIssue, formatIssueList } from './agent-team-error.js';
import type { DataFileError } from './file-errors.js';
export { StorageError, type SystemErrorFields } from './storage-error.js';

export { AgentTeamError, type ConfigIssue, issueLocation, summarizeIssues } from './agent-team-error.js';
export {
  DataFileError,
  type DataFormat,
  FileSystemError,
  LedgerCorruptedError,
  LockLostError,
  StateUpdateError,
} from './file-errors.js';

/** The user's configuration or input file is wrong. */
export class ConfigError extends AgentTeamError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(input: { file: string; issues: readonly ConfigIssue[]; hint?: string }) {
    const hint = input.hint === undefined ? '' : `\n${input.hint}`;
    super('config_invalid', `${input.file} is invalid:\n${formatIssueList(input.issues)}${hint}`, { exitCode: 2 });
    this.file = input.file;
    this.issues = input.issues;
  }

  /** The ConfigError for a user's file that did not parse or validate: the same file and issues, plus a hint. */
  static fromDataFileError(error: DataFileError, hint?: string): ConfigError {
    return new ConfigError({ file: error.file, issues: error.issues, hint });
  }
}

/** A command was called with arguments that cannot work. */
export class UsageError extends AgentTeamError {
  constructor(message: string) {
    super('usage', message, { exitCode: 2 });
  }
}

/** The installed package is missing files it ships with (a broken or partial installation). */
export class InstallationError extends AgentTeamError {
  /** The file or directory that should be there. */
  readonly missing: string;

  constructor(input: { missing: string; message: string }) {
    super('installation_incomplete', `${input.message} Reinstall agent-team (npm install -g agent-team).`);
    this.missing = input.missing;
  }
}

/** A program we start (a background agent, a tool) did not start; the log or message says why. */
export class ProcessStartError extends AgentTeamError {
  readonly command: string;

  constructor(input: { command: string; message: string; cause?: unknown }) {
    super('process_start_failed', input.message, { cause: input.cause });
    this.command = input.command;
  }
}

/** Ctrl-C, SIGTERM or SIGHUP asked the command to stop: the reason of the AbortSignal that carries it. */
export class SignalInterruptError extends AgentTeamError {
  readonly signal: NodeJS.Signals;

  constructor(signal: NodeJS.Signals) {
    super('interrupted', SIGNAL_MEANINGS[signal] ?? `received ${signal}`, { exitCode: 130 });
    this.signal = signal;
  }
}

const SIGNAL_MEANINGS: Partial<Record<NodeJS.Signals, string>> = {
  SIGINT: 'interrupted by Ctrl-C (SIGINT)',
  SIGTERM: 'stopped by SIGTERM',
  SIGHUP: 'its terminal closed (SIGHUP)',
  SIGPIPE: 'its output was closed (the reading end of the pipe went away)',
};

/** Where a team state lives, as its errors tell it: a file on disk, or a run's rows in a database. */
export type StateLocation = 'file' | 'database';

/** The state file (or a database run's rows) cannot be read as a valid team state. Nothing overwrites it. */
export class StateCorruptedError extends AgentTeamError {
  readonly file: string;
  readonly problem: string;

  constructor(input: { file: string; problem: string; cause?: unknown; location?: StateLocation }) {
    super(
      'state_corrupted',
      input.location === 'database'
        ? `The team state of ${input.file} is corrupted: ${input.problem}\n` +
            'Nothing was written over it. Fix those rows, or restore the database from a backup, then run again.'
        : `State file ${input.file} is corrupted: ${input.problem}\n` +
            'It was left untouched. Fix or move it away, then run again (a copy of the last good state is kept next to it as .bak when one exists).',
      { cause: input.cause, exitCode: 4 },
    );
    this.file = input.file;
    this.problem = input.problem;
  }
}

/** The state file (or a database run) does not exist and the caller gave no initial state to start from. */
export class StateMissingError extends AgentTeamError {
  readonly file: string;

  constructor(input: { file: string; location?: StateLocation }) {
    super(
      'state_missing',
      input.location === 'database'
        ? `There is no team state for ${input.file}. Start a run with \`agent-team run --feature ... --store <url>\` to create it, or check the URL's team name.`
        : `State file ${input.file} does not exist. Start a run with \`agent-team run --feature ...\` to create it.`,
      { exitCode: 4 },
    );
    this.file = input.file;
  }
}

/** The file lock could not be taken in time. */
export class LockTimeoutError extends AgentTeamError {
  readonly file: string;

  constructor(input: { file: string; waitedMs: number; cause?: unknown }) {
    super(
      'lock_timeout',
      `Could not lock ${input.file} within ${input.waitedMs} ms. Another agent-team process holds it; ` +
        `if none is running, the lock is released automatically once it is stale.`,
      { cause: input.cause, exitCode: 5 },
    );
    this.file = input.file;
  }
}

/** What went wrong with a provider call, whoever is to blame. */
export type ProviderFailure =
  | 'rate_limit'
  | 'overloaded'
  | 'server'
  | 'timeout'
  | 'connection'
  | 'auth'
  | 'invalid_request'
  | 'max_tokens'
  | 'refusal'
  | 'missing_key'
  | 'cassette_miss'
  | 'process'
  | 'other';

/** A model or provider failed in a way the caller must handle. */
export class ProviderError extends AgentTeamError {
  readonly provider: string;
  readonly failure: ProviderFailure;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  /** The server's `retry-after`, in ms, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(input: {
    provider: string;
    message: string;
    failure?: ProviderFailure;
    status?: number;
    requestId?: string;
    retryable?: boolean;
    retryAfterMs?: number;
    cause?: unknown;
    exitCode?: number;
  }) {
    super('provider_error', `${input.provider}: ${input.message}`, { cause: input.cause, exitCode: input.exitCode ?? 1 });
    this.provider = input.provider;
    this.failure = input.failure ?? 'other';
    this.status = input.status;
    this.requestId = input.requestId;
    this.retryable = input.retryable ?? false;
    this.retryAfterMs = input.retryAfterMs;
  }
}

/** A model answered, but not in the shape asked for, even after a repair request. */
export class InvalidModelOutputError extends AgentTeamError {
  readonly agentId: string;
  readonly rawOutput: string;
  readonly problems: readonly string[];

  constructor(input: { agentId: string; what: string; rawOutput: string; problems: readonly string[] }) {
    super(
      'model_output_invalid',
      `${input.agentId} returned an invalid ${input.what} twice:\n${input.problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.agentId = input.agentId;
    this.rawOutput = input.rawOutput;
    this.problems = input.problems;
  }
}

/** A call would go past a budget limit; the run can be resumed with a larger budget. */
export class BudgetExceededError extends AgentTeamError {
  readonly runId: string;
  readonly limit: string;

  constructor(input: { runId: string; limit: string; detail: string }) {
    super(
      'budget_exceeded',
      `Budget exceeded (${input.limit}): ${input.detail}\n` +
        `The run state is intact. Continue with: agent-team run --resume --budget-usd <larger amount>`,
      { exitCode: 3 },
    );
    this.runId = input.runId;
    this.limit = input.limit;
  }
}

/** Someone asked for the run to stop for good (POST /tasks/{id}/cancel): the reason of the AbortSignal that stops it. */
export class RunCancelledError extends AgentTeamError {
  /** Who asked, as the run's end reason names them. */
  readonly by: string;

  constructor(input: { by: string }) {
    super('cancelled', `cancelled by ${input.by}`, { exitCode: 130 });
    this.by = input.by;
  }
}

/** The run was interrupted (Ctrl-C or SIGTERM); it can be resumed. */
export class RunInterruptedError extends AgentTeamError {
  readonly runId: string;

  constructor(runId: string) {
    super('interrupted', `Run ${runId} was interrupted. Continue it with: agent-team run --resume`, {
      exitCode: 130,
    });
    this.runId = runId;
  }
}

/** A role agent was told to stop (Ctrl-C, out of budget, the run ended); what it had in flight is aborted with this reason. */
export class AgentStoppedError extends AgentTeamError {
  readonly agentId: string;
  readonly reason: string;

  constructor(input: { agentId: string; reason: string }) {
    super('agent_stopped', `${input.agentId} stopped (${input.reason}); its task goes back to ready.`);
    this.agentId = input.agentId;
    this.reason = input.reason;
  }
}
