/**
 * A cross-process lock on a file, built on proper-lockfile (a `mkdir` of
 * `<file>.lock` whose mtime is refreshed while held), with its known edges
 * closed: bounded waiting, prompt non-ELOCKED errors, a non-throwing
 * compromise handler and a stale takeover that only one process can win.
 */
import * as fs from 'node:fs';
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock as properLock } from 'proper-lockfile';
import { FileSystemError, LockTimeoutError } from '../errors/index.js';
import { errorCode } from './error-code.js';

/** How old a lock's mtime must be before another process may take it over, by default. */
export const DEFAULT_LOCK_STALE_MS = 10_000;
/** proper-lockfile refuses stale times below this. */
export const MIN_LOCK_STALE_MS = 2_000;
/** How long `acquireLock` waits for a held lock before giving up, by default. */
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

// Critical sections last a few milliseconds (read, parse, write, fsync), so the
// first retries come quickly; the cap keeps eight waiters from hammering mkdir.
const MIN_RETRY_DELAY_MS = 2;
const MAX_RETRY_DELAY_MS = 40;

/** Options of `acquireLock`. */
export interface AcquireLockOptions {
  /** The file to protect; it need not exist. The lock is the directory `<file>.lock`. */
  file: string;
  /** A lock whose mtime is older than this is abandoned and may be taken over (min 2000). */
  staleMs?: number;
  /** Give up with LockTimeoutError after waiting this long for another holder. */
  timeoutMs?: number;
  /** Called (from a timer) when the lock is lost while held: another process may hold it now. */
  onCompromised: (error: Error) => void;
}

/** Releases a lock taken with `acquireLock`; resolves quietly when the lock was already lost. */
export type ReleaseLock = () => Promise<void>;

/**
 * Takes the lock on `file`, waiting up to `timeoutMs` while another process holds it.
 *
 * The retry loop is ours rather than proper-lockfile's `retries`: that option
 * retries every error (EACCES, ENOTDIR...) for the whole budget, and counts
 * attempts rather than time. Here only ELOCKED waits, against a deadline;
 * anything else surfaces at once.
 */
export async function acquireLock(options: AcquireLockOptions): Promise<ReleaseLock> {
  const file = resolve(options.file);
  const staleMs = Math.max(options.staleMs ?? DEFAULT_LOCK_STALE_MS, MIN_LOCK_STALE_MS);
  const timeoutMs = Math.max(options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, 0);
  const deadline = Date.now() + timeoutMs;
  let delayMs = MIN_RETRY_DELAY_MS;
  let createdParent = false;

  for (;;) {
    const holding = { value: false };
    let compromised = false;
    try {
      const release = await properLock(file, {
        stale: staleMs,
        update: staleMs / 2,
        realpath: false, // the state file may not exist yet
        retries: 0,
        fs: lockFileSystem({ staleMs, holding }),
        // The default handler throws from a timer and kills the process.
        onCompromised: (error: Error) => {
          compromised = true;
          options.onCompromised(error);
        },
      });
      holding.value = true;
      return async () => {
        if (compromised) return; // proper-lockfile already dropped it; the holder was told
        try {
          await release();
        } catch (error) {
          if (errorCode(error) !== 'ERELEASED') throw error;
        }
      };
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' && !createdParent) {
        createdParent = true;
        await mkdir(dirname(file), { recursive: true });
        continue;
      }
      if (code !== 'ELOCKED') throw error;
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) throw new LockTimeoutError({ file: options.file, waitedMs: timeoutMs, cause: error });
      // Randomized so that waiters woken together do not collide again.
      await sleep(Math.min(remainingMs, delayMs * (1 + Math.random())));
      delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
    }
  }
}

/**
 * The `fs` handed to proper-lockfile. Only `rmdir` differs: while acquiring,
 * proper-lockfile calls it to remove a stale lock, and its own
 * stat-then-rmdir lets a slow process delete a lock another process has just
 * re-created, so both would hold it (node-proper-lockfile issue #121). We
 * re-check staleness under a second mkdir lock instead. Once held, `rmdir` is
 * the plain release. One object per attempt, so that flag cannot leak.
 */
function lockFileSystem(input: { staleMs: number; holding: { value: boolean } }): object {
  return {
    mkdir: fs.mkdir,
    stat: fs.stat,
    utimes: fs.utimes,
    realpath: fs.realpath,
    rmdirSync: fs.rmdirSync, // proper-lockfile's exit handler
    rmdir: (path: string, callback: (error: Error | null) => void) => {
      if (input.holding.value) {
        fs.rmdir(path, callback);
        return;
      }
      removeIfStillStale({ lockPath: path, staleMs: input.staleMs }).then(
        () => callback(null),
        // removeIfStillStale rejects only with errno-shaped errors (fs calls, lockedError).
        (error: unknown) => callback(error as Error),
      );
    },
  };
}

/** Removes a stale lock only if it is still stale while we hold `<lock>.takeover`. */
async function removeIfStillStale(input: { lockPath: string; staleMs: number }): Promise<void> {
  const guard = `${input.lockPath}.takeover`;
  try {
    await mkdir(guard);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    await removeAbandonedGuard({ guard, staleMs: input.staleMs });
    throw lockedError(input.lockPath); // someone else is taking over: wait and look again
  }
  try {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(input.lockPath)).mtimeMs;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return; // already gone: mkdir decides who wins
      throw error;
    }
    if (mtimeMs >= Date.now() - input.staleMs) throw lockedError(input.lockPath); // re-created meanwhile
    await rmdir(input.lockPath);
  } finally {
    // If this fails the guard is cleared once stale, by removeAbandonedGuard.
    await rmdir(guard).catch(() => undefined);
  }
}

/** A process killed between taking and dropping the guard leaves it behind; clear it once stale. */
async function removeAbandonedGuard(input: { guard: string; staleMs: number }): Promise<void> {
  try {
    const { mtimeMs } = await stat(input.guard);
    if (mtimeMs < Date.now() - input.staleMs) await rmdir(input.guard);
  } catch {
    // Gone or being cleared by another process: either way the next attempt sees it fresh.
  }
}

/** The error proper-lockfile itself gives for a held lock: its `code` ELOCKED makes acquireLock wait and retry. */
function lockedError(lockPath: string): FileSystemError {
  return new FileSystemError({ code: 'ELOCKED', path: lockPath, syscall: 'mkdir', message: `Lock ${lockPath} is held by another process` });
}
