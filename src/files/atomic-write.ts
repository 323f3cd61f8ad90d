/**
 * Whole-file replacement that readers can never observe half done: write a
 * sibling temp file, fsync it, rename it over the target, fsync the directory.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errorCode } from './error-code.js';
import { isProcessRunning } from './process-alive.js';

// Platforms where a directory cannot be opened or fsynced (Windows, some
// network file systems). The rename already happened; only durability is weaker.
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP']);

// Temp files this process is writing now: its other temps were left by writes that failed.
const writing = new Set<string>();

/** A unique temp path next to `target` (same directory, so renaming it onto `target` is atomic). */
export function siblingTempPath(target: string): string {
  const unique = `${process.pid}.${randomBytes(6).toString('hex')}`;
  return join(dirname(target), `.${basename(target)}.${unique}.tmp`);
}

/** How durable an atomic write must be. */
export interface AtomicWriteOptions {
  /**
   * Also fsync the directory, so that the rename survives a power cut (default
   * true). Costs a journal commit (~7 ms on ext4): files rewritten often whose
   * last version may be lost (a progress file) pass false.
   */
  syncDirectory?: boolean;
}

/** Replaces `path` with `data` atomically and (by default) durably; on failure the temp file is removed and `path` is untouched. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options?: AtomicWriteOptions): Promise<void> {
  const temp = siblingTempPath(path);
  let handle: FileHandle | undefined;
  writing.add(temp);
  try {
    handle = await open(temp, 'wx');
    await handle.writeFile(data);
    // Without this the rename can reach the disk before the data, and a crash
    // leaves an empty or truncated file under the real name.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    writing.delete(temp);
  }
  if (options?.syncDirectory !== false) await syncDirectory(dirname(path));
}

/** Writes `value` as pretty JSON with a final newline, atomically: the one format of our JSON files. */
export async function writeJsonFileAtomic(path: string, value: unknown, options?: AtomicWriteOptions): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, options);
}

/** Makes the rename itself durable: the new directory entry survives a power cut. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has(errorCode(error) ?? '')) throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Removes the temp files that writers of `target` left behind when they died or
 * the disk refused to let them clean up (a file system turned read-only mid-write):
 * those named by siblingTempPath whose writer process is no longer running, and
 * this process's own that no write of it is using (a failed write that could not
 * remove its temp; in-process runs share one pid).
 * Returns the names removed.
 */
export async function removeStaleTemps(
  target: string,
  /** othersOnly: keep this process's own (temps another writer of this process may be using, outside writeFileAtomic). */
  options: { othersOnly?: boolean } = {},
): Promise<string[]> {
  const prefix = `.${basename(target)}.`;
  const names = await readdir(dirname(target)).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    // A temp this process is writing now is in use; so is a running writer's.
    const mine = pid === process.pid;
    if (mine ? options.othersOnly === true || writing.has(join(dirname(target), name)) : isProcessRunning(pid)) continue;
    await rm(join(dirname(target), name), { force: true });
    removed.push(name);
  }
  return removed;
}
