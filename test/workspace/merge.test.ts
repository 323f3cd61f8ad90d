import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitAll, createTaskWorktree, git, mergeSequentially } from '../../src/workspace/index.js';
import type { MergeCandidate } from '../../src/workspace/merge.js';
import { sampleRepo, type TempRepository } from '../support/sample-repo.js';

let repo: TempRepository | undefined;
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

/** A task branch from main with `change` applied and committed. */
async function task(taskId: string, change: (worktree: string) => Promise<void>): Promise<MergeCandidate> {
  if (repo === undefined) throw new Error('no repository');
  const worktree = await createTaskWorktree({ repo: repo.dir, runId: 'r1', agentId: 'dev', taskId, base: 'main' });
  await change(worktree.path);
  await commitAll({ worktree: worktree.path, message: `task ${taskId}` });
  return { taskId, title: `task ${taskId}`, branch: worktree.branch, worktree: worktree.path };
}

/** The run's integration branch, cut from main, checked out in its own worktree. */
async function integrationWorktree(): Promise<string> {
  if (repo === undefined) throw new Error('no repository');
  const path = join(repo.dir, '.worktrees', 'integration-r1');
  await repo.git('worktree', 'add', '-b', 'agent-team/r1/integration', path, 'main');
  return path;
}

const TEST = { argv: ['node', '--test'], timeoutMs: 60_000, outputCapBytes: 64_000, sandbox: 'bwrap' as const };

describe('sequential merge with the project tests', () => {
  it('merges in order, undoes a merge that breaks the tests, and keeps a conflicting branch for a person', async () => {
    repo = await sampleRepo();
    const good = await task('T1', async (dir) => {
      await writeFile(join(dir, 'src', 'strings.js'), 'export function shout(text) {\n  return text.toUpperCase();\n}\n');
      await writeFile(
        join(dir, 'test', 'strings.test.js'),
        [
          "import assert from 'node:assert/strict';",
          "import { test } from 'node:test';",
          "import { shout } from '../src/strings.js';",
          '',
          "test('shout', () => assert.equal(shout('hi'), 'HI'));",
          '',
        ].join('\n'),
      );
    });
    const breaking = await task('T2', async (dir) => {
      const file = join(dir, 'src', 'math.js');
      await writeFile(file, (await readFile(file, 'utf8')).replace('return a + b;', 'return a - b;'));
    });
    const first = await task('T3', async (dir) => {
      const file = join(dir, 'README.md');
      await writeFile(file, (await readFile(file, 'utf8')).replace('# sample-repo', '# sample-repo (edited by T3)'));
    });
    const clashing = await task('T4', async (dir) => {
      const file = join(dir, 'README.md');
      await writeFile(file, (await readFile(file, 'utf8')).replace('# sample-repo', '# sample-repo (edited by T4)'));
    });

    // Merges and tests run in their own worktree: the user's checkout (which holds .worktrees/,
    // where test runners would find every task's tests) is never touched.
    const integration = await integrationWorktree();
    const outcomes = await mergeSequentially({
      integrationWorktree: integration,
      integrationBranch: 'agent-team/r1/integration',
      candidates: [good, breaking, first, clashing],
      test: TEST,
      autoMerge: true,
    });
    expect(outcomes.map((outcome) => `${outcome.taskId}:${outcome.status}`)).toEqual([
      'T1:merged',
      'T2:reverted',
      'T3:merged',
      'T4:conflict',
    ]);
    const reverted = outcomes[1];
    expect(reverted?.status === 'reverted' ? reverted.testOutput : '').toMatch(/fail/i);
    const conflict = outcomes[3];
    expect(conflict?.status === 'conflict' ? conflict.files : []).toEqual(['README.md']);
    // The integration branch holds T1 and T3 only, and its tree is clean (no half merge left behind).
    const log = await repo.git('log', '--format=%s', 'agent-team/r1/integration');
    expect(log).toContain('Merge T1');
    expect(log).toContain('Merge T3');
    expect(log).not.toContain('Merge T2');
    expect(log).not.toContain('Merge T4');
    expect((await git({ cwd: integration, args: ['status', '--porcelain'] })).stdout).toBe('');
    expect(await readFile(join(integration, 'src', 'math.js'), 'utf8')).toContain('return a + b;');
    expect(await repo.git('log', '--format=%s', 'main')).toBe('Sample project');
    // The conflicting and the reverted branches are kept.
    const branches = await repo.git('branch', '--list', 'agent-team/r1/*', '--format=%(refname:short)');
    expect(branches.split('\n').sort()).toEqual([
      'agent-team/r1/T1',
      'agent-team/r1/T2',
      'agent-team/r1/T3',
      'agent-team/r1/T4',
      'agent-team/r1/integration',
    ]);
  });

  it('never rebases outside the task branch checkout: a wrong worktree turns a conflict into a report, not a rewrite', async () => {
    repo = await sampleRepo();
    const first = await task('T1', async (dir) => {
      await writeFile(join(dir, 'README.md'), '# one\n');
    });
    const second = await task('T2', async (dir) => {
      await writeFile(join(dir, 'README.md'), '# two\n');
    });
    const integration = await integrationWorktree();
    const mainBefore = await repo.git('rev-parse', 'main');
    // Pointed at the user's checkout (on main) instead of T2's worktree.
    const outcomes = await mergeSequentially({
      integrationWorktree: integration,
      integrationBranch: 'agent-team/r1/integration',
      candidates: [first, { ...second, worktree: repo.dir }],
      test: null,
      autoMerge: true,
    });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['merged', 'conflict']);
    expect(await repo.git('rev-parse', 'main')).toBe(mainBefore);
    expect(await repo.git('status', '--porcelain')).toBe('');
  });

  it('without auto_merge, leaves every branch ready with the exact commands', async () => {
    repo = await sampleRepo();
    const candidate = await task('T1', async (dir) => {
      await writeFile(join(dir, 'NOTES.md'), 'notes\n');
    });
    const before = await repo.git('rev-parse', 'main');
    const outcomes = await mergeSequentially({
      integrationWorktree: repo.dir,
      integrationBranch: 'main',
      candidates: [candidate],
      test: TEST,
      autoMerge: false,
    });
    expect(outcomes).toEqual([
      { taskId: 'T1', status: 'ready', branch: 'agent-team/r1/T1', commands: ['git merge --no-ff agent-team/r1/T1'] },
    ]);
    expect(await repo.git('rev-parse', 'main')).toBe(before);
  });
});
