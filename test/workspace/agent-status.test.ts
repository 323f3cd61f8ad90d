import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readWorktreeStatus, writeWorktreeStatus, type WorktreeStatusUpdate } from '../../src/workspace/index.js';
import { WorkspaceError } from '../../src/workspace/workspace-error.js';
import { worktreeStatusFile } from '../../src/workspace/agent-status.js';

const now = () => new Date('2026-03-04T05:06:07.000Z');
let worktree: string;

const update: WorktreeStatusUpdate = {
  taskId: 'task-1',
  agentId: 'dev-1',
  status: 'done',
  progress: 100,
  filesChanged: ['src/math.js', 'test/math.test.js'],
  gates: [
    { name: 'tests', passed: true, reasons: [] },
    { name: 'security', passed: false, reasons: ['writes outside src/'] },
  ],
  commit: '0123456789abcdef0123456789abcdef01234567',
};

beforeEach(async () => {
  worktree = await mkdtemp(join(tmpdir(), 'agent-team-status-'));
});

afterEach(async () => {
  await rm(worktree, { recursive: true, force: true });
});

describe('agent-status.json', () => {
  it('round-trips through an atomic write, leaving no temp file behind', async () => {
    const written = await writeWorktreeStatus({ worktree, status: update, now });

    expect(written).toEqual({ ...update, version: 1, updatedAt: '2026-03-04T05:06:07.000Z' });
    expect(await readWorktreeStatus(worktree)).toEqual(written);
    expect(await readdir(worktree)).toEqual(['agent-status.json']);
    expect(JSON.parse(await readFile(join(worktree, 'agent-status.json'), 'utf8'))).toEqual(written);
  });

  it('reads null before the agent wrote anything', async () => {
    expect(await readWorktreeStatus(worktree)).toBeNull();
  });

  it('refuses to write an invalid status', async () => {
    await expect(writeWorktreeStatus({ worktree, status: { ...update, progress: 140 }, now })).rejects.toThrow();
    expect(await readdir(worktree)).toEqual([]);
  });

  it('names the file and the fields of a broken status', async () => {
    await writeFile(worktreeStatusFile(worktree), JSON.stringify({ ...update, version: 1, updatedAt: 'yesterday', status: 'completed' }));
    const error = await readWorktreeStatus(worktree).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WorkspaceError);
    expect(error).toMatchObject({ code: 'workspace_status_invalid' });
    expect((error as Error).message).toContain(`${worktreeStatusFile(worktree)} is not a valid agent status`);
    expect((error as Error).message).toMatch(/- status: .*\n {2}- updatedAt: /);

    await writeFile(worktreeStatusFile(worktree), '{"taskId": ');
    await expect(readWorktreeStatus(worktree)).rejects.toThrow('not valid JSON');
  });
});
