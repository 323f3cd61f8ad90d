/** File-system failures met on the state layer's files (state, backup, lock, ledger), reported as StorageError. */
import { StorageError } from '../errors/index.js';
import { isSystemError } from '../files/index.js';

/** What a storage operation was doing, for the StorageError that reports its failure. */
export interface StorageOperation {
  /** The file it was about. */
  readonly file: string;
  /** e.g. `write the state file`. */
  readonly action: string;
  /** What is still intact, e.g. `Nothing was written: …`. */
  readonly kept: string;
  /** What to do once the disk is fixed, when not `agent-team run --resume`. */
  readonly next?: string;
}

/** What a failed read leaves. */
export const NOTHING_CHANGED = 'Nothing was changed.';

/** `error` as a StorageError when the file system raised it (ENOSPC, EROFS, EISDIR…); any other error unchanged. */
export function asStorageError(error: unknown, operation: StorageOperation): unknown {
  return isSystemError(error) ? new StorageError({ ...operation, cause: error }) : error;
}

/** Runs `run`; a file-system failure comes out as a StorageError describing `operation`. */
export async function guardStorage<T>(operation: StorageOperation, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw asStorageError(error, operation);
  }
}

/** A failed read of a state file: nothing changed, and its backup may hold the last good state. */
export function readingState(file: string): StorageOperation {
  return {
    file,
    action: 'read the state file',
    kept: `Nothing was changed; a copy of the last good state is kept as ${file}.bak when one exists.`,
  };
}

/** A failed step of a commit (`action`): nothing is written partially, so the state file still holds the last good state. */
export function writingState(file: string, action: string): StorageOperation {
  return { file, action, kept: 'Nothing was written: the state file still holds the last good state.' };
}
