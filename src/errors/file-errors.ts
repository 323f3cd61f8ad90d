/** Errors about files on disk: data that does not parse or validate, locks lost, ledgers broken. */
import { AgentTeamError, type ConfigIssue, formatIssueList } from './agent-team-error.js';

/** The formats a data file can be written in. */
export type DataFormat = 'json' | 'yaml';

/** The first syntax error of a text: 1-based line and column, and what was expected there. */
export interface DataSyntaxError {
  readonly line: number;
  readonly column: number;
  /** `expected a value, found ","`. */
  readonly detail: string;
}

/**
 * A JSON or YAML text (a file, a JSONL line, stdin) does not parse, or does not
 * match its schema. Layers that own the file usually turn it into their own error
 * (ConfigError, StateCorruptedError…), keeping it as the cause.
 */
export class DataFileError extends AgentTeamError {
  /** The file, or what the text came from (`stdin`, `<file> line 3`). */
  readonly file: string;
  readonly format: DataFormat;
  /** Each problem, with line and column for syntax errors and a dot path for schema errors. */
  readonly issues: readonly ConfigIssue[];
  /** Where the text stops being JSON/YAML; undefined when it parsed but does not match its schema. */
  readonly syntax: DataSyntaxError | undefined;
  /** The problem on one line, e.g. `invalid JSON at line 2, column 14: expected a value, found ","`. */
  readonly problem: string;

  constructor(input: { file: string; format: DataFormat; issues: readonly ConfigIssue[]; syntax?: DataSyntaxError; problem: string }) {
    super('data_invalid', `${input.file} is invalid:\n${formatIssueList(input.issues)}`);
    this.file = input.file;
    this.format = input.format;
    this.issues = input.issues;
    this.syntax = input.syntax;
    this.problem = input.problem;
  }
}

/**
 * A file-system failure raised by our own code, shaped like Node's errno errors
 * (`code`, `syscall`, `path`) so that code checking `error.code` treats both alike.
 */
export class FileSystemError extends AgentTeamError {
  readonly path: string;
  readonly syscall: string;

  constructor(input: { code: string; path: string; syscall: string; message: string }) {
    super(input.code, input.message);
    this.path = input.path;
    this.syscall = input.syscall;
  }
}

/** A file lock was (or may have been) taken over by another process while held; nothing was written. */
export class LockLostError extends AgentTeamError {
  readonly file: string;
  /** Why the lock cannot be trusted any more. */
  readonly reason: string;

  constructor(input: { file: string; reason: string; consequence: string; hint?: string; cause?: unknown }) {
    const hint = input.hint === undefined ? '' : ` ${input.hint}`;
    super('lock_lost', `The lock on ${input.file} may have been taken over ${input.reason}; ${input.consequence}.${hint}`, {
      cause: input.cause,
    });
    this.file = input.file;
    this.reason = input.reason;
  }
}

/** A line of a JSONL ledger, other than a torn last one, is not a valid entry. Nothing rewrites the file. */
export class LedgerCorruptedError extends AgentTeamError {
  readonly file: string;
  readonly line: number;
  readonly problem: string;

  constructor(input: { file: string; line: number; problem: string; cause?: unknown }) {
    super('ledger_corrupted', `Ledger ${input.file} line ${input.line} is ${input.problem}`, { cause: input.cause });
    this.file = input.file;
    this.line = input.line;
    this.problem = input.problem;
  }
}

/** An update (or the initial state) misused the store: a bug in the calling code, not a bad file. Nothing was written. */
export class StateUpdateError extends AgentTeamError {
  readonly file: string;

  constructor(input: { file: string; message: string; cause?: unknown }) {
    super('state_update_invalid', input.message, { cause: input.cause });
    this.file = input.file;
  }
}
