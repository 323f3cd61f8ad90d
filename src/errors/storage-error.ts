/** The file system refused to read or write a file the run keeps its state in: a full disk, a read-only mount, a directory in the way. */
import { dirname } from 'node:path';
import { AgentTeamError } from './agent-team-error.js';

/** The fields of a Node system error (`ENOSPC: no space left on device, write`) that a StorageError reports. */
export interface SystemErrorFields {
  readonly code: string;
  readonly message: string;
  readonly syscall?: string | undefined;
  readonly path?: string | undefined;
  readonly dest?: string | undefined;
}

/** What went wrong in words a person knows, and what fixes it, for the errno codes a disk gives. */
const KNOWN: Record<string, { problem: string; fix: (file: string) => string }> = {
  ENOSPC: { problem: 'no space left on device', fix: (file) => `Free space on the disk that holds ${dirname(file)}` },
  EDQUOT: { problem: 'disk quota exceeded', fix: (file) => `Free space in ${dirname(file)} or raise the disk quota` },
  EROFS: { problem: 'read-only file system', fix: (file) => `Make ${dirname(file)} writable (remount its file system read-write)` },
  EACCES: { problem: 'permission denied', fix: (file) => `Give this user read and write access to ${dirname(file)}` },
  EPERM: { problem: 'operation not permitted', fix: (file) => `Give this user read and write access to ${dirname(file)}` },
  EISDIR: { problem: 'is a directory', fix: (file) => `Remove the directory ${file} (or move it away)` },
  ENOTDIR: { problem: 'a parent of it is not a directory', fix: (file) => `Make every parent of ${file} a directory` },
  EIO: { problem: 'input/output error', fix: (file) => `Check the disk that holds ${dirname(file)} (see the system log)` },
  EMFILE: { problem: 'too many open files', fix: () => 'Raise the open-file limit (ulimit -n) or close other programs' },
  ENFILE: { problem: 'too many open files in the system', fix: () => 'Close other programs or raise the system open-file limit' },
};

/**
 * Reading or writing the state, its backup, its lock or the ledger failed at the
 * file-system level. Nothing was written partially (every write is an atomic
 * rename); `kept` says what the run can resume from. Ends the process (exit 4).
 */
export class StorageError extends AgentTeamError {
  /** The file the operation was about (the state file, its `.bak`, the ledger). */
  readonly file: string;
  /** What was being done, e.g. `write the state file`. */
  readonly action: string;
  /** The errno code of the failure, e.g. `ENOSPC`. */
  readonly errno: string;
  /** The failed system call (`write`, `mkdir`…), when known. */
  readonly syscall: string | undefined;
  /** The errno code in words, e.g. `no space left on device`. */
  readonly problem: string;

  constructor(input: {
    file: string;
    action: string;
    cause: SystemErrorFields;
    /** What is intact, e.g. `The state file still holds the last good state.` */
    kept: string;
    /** What to do once fixed (default: continue the run with `agent-team run --resume`). */
    next?: string;
    /** What fixes it, when the errno code does not say (a database server rather than a disk). */
    fix?: string;
  }) {
    const { cause } = input;
    const known = KNOWN[cause.code];
    const problem = known?.problem ?? problemOf(cause);
    const fix = input.fix ?? known?.fix(input.file) ?? `Fix the file-system problem with ${input.file}`;
    const where = cause.syscall === undefined ? '' : `, ${cause.syscall}${otherPath(input.file, cause)}`;
    const next = input.next ?? 'continue with `agent-team run --resume`';
    super(
      'storage_failed',
      `Could not ${input.action} ${input.file}: ${problem} (${cause.code}${where}).\n${input.kept} ${fix}, then ${next}.`,
      { cause, exitCode: 4 },
    );
    this.file = input.file;
    this.action = input.action;
    this.errno = cause.code;
    this.syscall = cause.syscall;
    this.problem = problem;
  }
}

/** `no such device` from `ENODEV: no such device, open '/x'`. */
function problemOf(cause: SystemErrorFields): string {
  const text = cause.message.startsWith(`${cause.code}: `) ? cause.message.slice(cause.code.length + 2) : cause.message;
  const comma = cause.syscall === undefined ? -1 : text.lastIndexOf(`, ${cause.syscall}`);
  return comma === -1 ? text : text.slice(0, comma);
}

/** The path the system call failed on, when it is not the file itself (a temp file, the lock directory). */
function otherPath(file: string, cause: SystemErrorFields): string {
  const paths = [cause.path, cause.dest].filter((path): path is string => path !== undefined && path !== file);
  return paths.length === 0 ? '' : ` ${paths.join(' -> ')}`;
}
