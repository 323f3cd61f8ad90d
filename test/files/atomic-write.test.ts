import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadPid } from '../support/processes.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTemps, siblingTempPath, writeFileAtomic } from '../../src/files/index.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-team-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('removeStaleTemps', () => {
  it("removes the temps of writers that are gone and this process's own that no write uses, and keeps a running writer's and other files", async () => {
    const target = join(dir, 'state.json');
    await writeFileAtomic(target, '{}\n');
    const dead = await deadPid();
    const stale = `.state.json.${dead}.a1b2c3d4e5f6.tmp`;
    const running = `.state.json.${process.ppid}.a1b2c3d4e5f6.tmp`;
    // Left by a write of this process that failed and could not remove it (a disk turned read-only);
    // in-process runs share one pid, so the next commit must still clear it.
    const orphan = siblingTempPath(target).slice(dir.length + 1);
    for (const name of [stale, running, orphan, '.other.json.1.aa.tmp', 'notes.tmp']) await writeFile(join(dir, name), 'x');

    expect((await removeStaleTemps(target)).sort()).toEqual([orphan, stale].sort());
    expect((await readdir(dir)).sort()).toEqual([running, '.other.json.1.aa.tmp', 'notes.tmp', 'state.json'].sort());
  });
});
