import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, open, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A small tmpfs mounted on a directory, that a test fills up or makes read-only. Mounting needs root. */
// A bound for a broken case only: a run commits for milliseconds at a time.
const REMOUNT_ATTEMPTS = 2000;

export interface SmallDisk {
  readonly dir: string;
  /** Writes a filler file until the disk is full, then frees `leaveBytes` of it (default: none). */
  fill(leaveBytes?: number): Promise<void>;
  /** Removes the filler: the disk has room again. */
  free(): Promise<void>;
  /** Remounts the directory read-only (a read-only bind mount over it). */
  makeReadOnly(): void;
  /** Removes the read-only bind mount. */
  makeWritable(): void;
  /** Unmounts everything mounted on the directory. */
  unmount(): void;
}

const FILLER = '.filler';
const CHUNK = Buffer.alloc(64 * 1024);

/** Mounts a tmpfs of `sizeBytes` on `dir` (created if missing). */
export async function mountSmallDisk(dir: string, sizeBytes: number): Promise<SmallDisk> {
  await mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  const filler = join(dir, FILLER);
  return {
    dir,
    async fill(leaveBytes = 0) {
      const handle = await open(filler, 'a');
      let written = 0;
      try {
        for (;;) written += (await handle.write(CHUNK)).bytesWritten;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        await handle.close();
      }
      if (leaveBytes > 0) await truncate(filler, Math.max(0, written - leaveBytes));
    },
    free: () => unlink(filler),
    makeReadOnly() {
      execFileSync('mount', ['--bind', dir, dir]);
      // The kernel refuses (EBUSY, "mount point is busy") while a process of the run holds a file there open for
      // writing: a commit in progress. Commits are short, so try again until one lands between two of them.
      for (let attempt = 1; ; attempt += 1) {
        try {
          execFileSync('mount', ['-o', 'remount,bind,ro', dir], { stdio: 'pipe' });
          return;
        } catch (error) {
          if (attempt >= REMOUNT_ATTEMPTS || !String((error as { stderr?: unknown }).stderr).includes('busy')) throw error;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        }
      }
    },
    makeWritable() {
      execFileSync('umount', [dir]);
    },
    unmount() {
      while (isMountPoint(dir)) {
        try {
          execFileSync('umount', [dir]);
        } catch {
          execFileSync('umount', ['-l', dir]);
        }
      }
    },
  };
}

/** True while something is mounted on `dir`. */
function isMountPoint(dir: string): boolean {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === dir);
}
