import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockTimeoutError } from '../../src/errors/index.js';
import { acquireLock, writeFileAtomic } from '../../src/files/index.js';

let directory: string;
const noCompromise = (error: Error): never => {
  throw error;
};

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'agent-team-file-lock-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Makes a lock directory look abandoned long ago. */
async function age(path: string): Promise<void> {
  const longAgo = new Date(Date.now() - 60_000);
  await utimes(path, longAgo, longAgo);
}

describe('acquireLock', () => {
  it('creates the parent directory and releases the lock directory', async () => {
    const file = join(directory, 'deep', 'state.json');
    const release = await acquireLock({ file, onCompromised: noCompromise });
    expect(existsSync(`${file}.lock`)).toBe(true);
    await release();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('gives up with LockTimeoutError while another holder keeps the lock', async () => {
    const file = join(directory, 'state.json');
    const release = await acquireLock({ file, onCompromised: noCompromise });
    try {
      await expect(acquireLock({ file, timeoutMs: 50, onCompromised: noCompromise })).rejects.toBeInstanceOf(LockTimeoutError);
    } finally {
      await release();
    }
  });

  it('surfaces errors other than a held lock instead of retrying them', async () => {
    await writeFile(join(directory, 'not-a-directory'), '');
    const file = join(directory, 'not-a-directory', 'state.json');
    // With proper-lockfile's own retries this would spin for the whole timeout.
    await expect(acquireLock({ file, timeoutMs: 60_000, onCompromised: noCompromise })).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
  });

  it('takes over a stale lock', async () => {
    const file = join(directory, 'state.json');
    await mkdir(`${file}.lock`);
    await age(`${file}.lock`);
    const release = await acquireLock({ file, staleMs: 2000, timeoutMs: 60_000, onCompromised: noCompromise });
    await release();
    expect(existsSync(`${file}.lock.takeover`)).toBe(false);
  });

  it('leaves a stale lock alone while another process is taking it over', async () => {
    const file = join(directory, 'state.json');
    await mkdir(`${file}.lock`);
    await age(`${file}.lock`);
    await mkdir(`${file}.lock.takeover`); // fresh: someone else is mid-takeover
    // staleMs far below the 60 s age and far above any pause of a loaded machine, so the
    // takeover stays fresh while the attempts run out of time.
    await expect(acquireLock({ file, staleMs: 30_000, timeoutMs: 50, onCompromised: noCompromise })).rejects.toBeInstanceOf(
      LockTimeoutError,
    );
    expect(existsSync(`${file}.lock`)).toBe(true);

    await age(`${file}.lock.takeover`); // its owner died mid-takeover: cleared, then taken over
    const release = await acquireLock({ file, staleMs: 30_000, timeoutMs: 60_000, onCompromised: noCompromise });
    await release();
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp file behind', async () => {
    const file = join(directory, 'state.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(await readFile(file, 'utf8')).toBe('two');
    expect(await readdir(directory)).toEqual(['state.json']);
  });

  it('removes its temp file when the rename fails', async () => {
    const target = join(directory, 'occupied');
    await mkdir(join(target, 'child'), { recursive: true }); // a non-empty directory cannot be renamed over
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(directory)).toEqual(['occupied']);
  });
});
