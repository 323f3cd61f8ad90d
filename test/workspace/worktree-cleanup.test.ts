import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cleanWorktrees,
  commitAll,
  createTaskWorktree,
  git,
  listRunIds,
  listWorktrees,
  wipCommit,
  type CleanReport,
} from '../../src/workspace/index.js';
import { sampleRepo, TEST_IDENTITY_ARGS, type TempRepository } from '../support/sample-repo.js';

let repo: TempRepository;
const scratch: string[] = [];

beforeEach(async () => {
  repo = await sampleRepo();
});

afterEach(async () => {
  await repo.cleanup();
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Runs git with the test identity in `cwd` (a worktree), returning stdout trimmed. */
async function gitIn(cwd: string, ...args: string[]): Promise<string> {
  return (await git({ cwd, args: [...TEST_IDENTITY_ARGS, ...args] })).stdout.trim();
}

/** What `prepareWorkspace` does: the run's integration branch from HEAD in `.worktrees/integration-<run>`. */
async function integration(runId: string): Promise<string> {
  const path = join(repo.dir, '.worktrees', `integration-${runId}`);
  await repo.git('worktree', 'add', '--quiet', '-b', `agent-team/${runId}/integration`, path, 'HEAD');
  return path;
}

/** A task worktree cut from the run's integration branch, with one commit adding `file` unless `commit` is false. */
async function taskWith(input: { runId: string; taskId: string; file?: string; content?: string; commit?: boolean }): Promise<string> {
  const worktree = await createTaskWorktree({
    repo: repo.dir,
    runId: input.runId,
    agentId: 'dev-1',
    taskId: input.taskId,
    base: `agent-team/${input.runId}/integration`,
  });
  if (input.commit !== false) {
    await writeFile(join(worktree.path, input.file ?? `${input.taskId}.txt`), input.content ?? `${input.taskId}\n`);
    await commitAll({ worktree: worktree.path, message: `Work on ${input.taskId}` });
  }
  return worktree.path;
}

async function merge(integrationPath: string, branch: string): Promise<void> {
  await gitIn(integrationPath, 'merge', '--no-ff', '--no-edit', '--quiet', branch);
}

async function branches(): Promise<string[]> {
  return (await repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/')).split('\n').filter((line) => line !== '');
}

async function worktreePaths(): Promise<string[]> {
  return (await listWorktrees(repo.dir)).map((entry) => entry.path).sort();
}

function sorted(report: CleanReport): CleanReport {
  return { ...report, removedWorktrees: [...report.removedWorktrees].sort(), deletedBranches: [...report.deletedBranches].sort() };
}

describe('cleanWorktrees', () => {
  it('removes the worktrees, deletes merged task branches, keeps unmerged ones until forced, and keeps the integration branch', async () => {
    const integrationPath = await integration('run-1');
    const merged = await taskWith({ runId: 'run-1', taskId: 'task-1' });
    const unmerged = await taskWith({ runId: 'run-1', taskId: 'task-2' });
    const empty = await taskWith({ runId: 'run-1', taskId: 'task-3', commit: false });
    await merge(integrationPath, 'agent-team/run-1/task-1');
    const unmergedTip = await repo.git('rev-parse', 'agent-team/run-1/task-2');

    const report = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'] });

    expect(sorted(report)).toEqual({
      removedWorktrees: [merged, unmerged, empty, integrationPath].sort(),
      savedWip: [],
      deletedBranches: ['agent-team/run-1/task-1', 'agent-team/run-1/task-3'],
      kept: [
        {
          path: null,
          branch: 'agent-team/run-1/task-2',
          reason: 'not merged into agent-team/run-1/integration: it holds work found nowhere else (merge it, or clean with --force)',
        },
        { path: null, branch: 'agent-team/run-1/integration', reason: expect.stringContaining("the run's merged result") },
      ],
    });
    expect(await worktreePaths()).toEqual([repo.dir]);
    expect(await branches()).toEqual(['agent-team/run-1/integration', 'agent-team/run-1/task-2', 'main']);
    expect(await repo.git('rev-parse', 'agent-team/run-1/task-2')).toBe(unmergedTip);

    const forced = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'], force: true });
    expect(forced.deletedBranches).toEqual(['agent-team/run-1/task-2']);
    expect(await branches()).toEqual(['agent-team/run-1/integration', 'main']);
  });

  it('deletes the integration branch when asked only once it is merged into one of your branches, or with force', async () => {
    const integrationPath = await integration('run-1');
    await taskWith({ runId: 'run-1', taskId: 'task-1' });
    await merge(integrationPath, 'agent-team/run-1/task-1');

    const unmerged = await cleanWorktrees({ repo: repo.dir, deleteIntegration: true });
    expect(unmerged.deletedBranches).toEqual(['agent-team/run-1/task-1']);
    expect(unmerged.kept).toEqual([
      { path: null, branch: 'agent-team/run-1/integration', reason: expect.stringContaining('not merged into any of your branches') },
    ]);

    await repo.git('merge', '--quiet', '--ff-only', 'agent-team/run-1/integration');
    const merged = await cleanWorktrees({ repo: repo.dir, deleteIntegration: true });
    expect(merged).toEqual({ removedWorktrees: [], savedWip: [], deletedBranches: ['agent-team/run-1/integration'], kept: [] });

    await integration('run-2');
    await repo.git('commit', '--quiet', '--allow-empty', '-m', 'Main moves on');
    await gitIn(join(repo.dir, '.worktrees', 'integration-run-2'), 'commit', '--quiet', '--allow-empty', '-m', 'Run 2 result');
    const forced = await cleanWorktrees({ repo: repo.dir, deleteIntegration: true, force: true });
    expect(forced.deletedBranches).toEqual(['agent-team/run-2/integration']);
    expect(await branches()).toEqual(['main']);
  });

  it('saves the uncommitted changes of a task worktree on wip/<run>/<task> before removing it', async () => {
    await integration('run-1');
    const dirty = await taskWith({ runId: 'run-1', taskId: 'task-1' });
    const head = await gitIn(dirty, 'rev-parse', 'HEAD');
    await writeFile(join(dirty, 'src', 'math.js'), 'export const changed = true;\n');
    await writeFile(join(dirty, 'new-file.txt'), 'never committed\n');

    const report = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'] });

    const commit = await repo.git('rev-parse', 'wip/run-1/task-1');
    expect(report.savedWip).toEqual([{ path: dirty, branch: 'wip/run-1/task-1', commit }]);
    expect(report.removedWorktrees).toContain(dirty);
    expect(existsSync(dirty)).toBe(false);
    expect(await repo.git('show', 'wip/run-1/task-1:src/math.js')).toBe('export const changed = true;');
    expect(await repo.git('show', 'wip/run-1/task-1:new-file.txt')).toBe('never committed');
    expect(await repo.git('rev-parse', 'wip/run-1/task-1^')).toBe(head);
    expect(report.kept).toContainEqual({
      path: null,
      branch: 'wip/run-1/task-1',
      reason: 'saved work of a stopped agent, found nowhere else (clean with --wip to delete it)',
    });
    expect(await branches()).toEqual(['agent-team/run-1/integration', 'agent-team/run-1/task-1', 'main', 'wip/run-1/task-1']);

    const withWip = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'], deleteWip: true });
    expect(withWip.deletedBranches).toEqual(['wip/run-1/task-1']);
    expect(await branches()).toEqual(['agent-team/run-1/integration', 'agent-team/run-1/task-1', 'main']);
  });

  it('keeps a wip branch it saved in the same clean even with deleteWip, and with force saves nothing', async () => {
    await integration('run-1');
    const first = await taskWith({ runId: 'run-1', taskId: 'task-1', commit: false });
    await writeFile(join(first, 'unsaved.txt'), 'one\n');
    const report = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'], deleteWip: true });
    expect(report.savedWip.map((saved) => saved.branch)).toEqual(['wip/run-1/task-1']);
    expect(report.kept).toContainEqual({
      path: null,
      branch: 'wip/run-1/task-1',
      reason: expect.stringContaining(`uncommitted changes of ${first}, removed by this clean`),
    });
    expect(await branches()).toContain('wip/run-1/task-1');

    const second = await taskWith({ runId: 'run-1', taskId: 'task-2', commit: false });
    await writeFile(join(second, 'discarded.txt'), 'two\n');
    const forced = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'], force: true });
    expect(forced.savedWip).toEqual([]);
    expect(forced.removedWorktrees).toEqual([second]);
    expect(await branches()).not.toContain('wip/run-1/task-2');
  });

  it('never replaces different saved work on an existing wip branch, and reuses it when it holds the same changes', async () => {
    await integration('run-1');
    const worktree = await taskWith({ runId: 'run-1', taskId: 'task-1' });
    await writeFile(join(worktree, 'partial.txt'), 'first attempt\n');
    const earlier = await wipCommit({ worktree, taskId: 'task-1' });
    await writeFile(join(worktree, 'partial.txt'), 'second attempt\n');

    const report = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'] });
    expect(report.kept).toContainEqual({
      path: worktree,
      branch: 'agent-team/run-1/task-1',
      reason: expect.stringContaining('wip/run-1/task-1 already holds other saved work'),
    });
    expect(existsSync(join(worktree, 'partial.txt'))).toBe(true);
    expect(await repo.git('rev-parse', 'wip/run-1/task-1')).toBe(earlier?.commit);

    await writeFile(join(worktree, 'partial.txt'), 'first attempt\n');
    const same = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'] });
    expect(same.savedWip).toEqual([{ path: worktree, branch: 'wip/run-1/task-1', commit: earlier?.commit }]);
    expect(same.removedWorktrees).toEqual([worktree]);
  });

  it('aborts a merge left in progress in the integration worktree and removes it, leaving the branch at its last merge', async () => {
    const integrationPath = await integration('run-1');
    await taskWith({ runId: 'run-1', taskId: 'task-1', file: 'shared.txt', content: 'one\n' });
    await taskWith({ runId: 'run-1', taskId: 'task-2', file: 'shared.txt', content: 'two\n' });
    await merge(integrationPath, 'agent-team/run-1/task-1');
    const lastMerge = await repo.git('rev-parse', 'agent-team/run-1/integration');
    const conflict = await git({
      cwd: integrationPath,
      args: [...TEST_IDENTITY_ARGS, 'merge', '--no-ff', '--no-edit', 'agent-team/run-1/task-2'],
      allowFailure: true,
    });
    expect(conflict.code).not.toBe(0);
    expect(await gitIn(integrationPath, 'rev-parse', '--verify', 'MERGE_HEAD')).not.toBe('');

    const report = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'] });

    expect(report.removedWorktrees).toContain(integrationPath);
    expect(existsSync(integrationPath)).toBe(false);
    expect(await repo.git('rev-parse', 'agent-team/run-1/integration')).toBe(lastMerge);
    expect(await branches()).toEqual(['agent-team/run-1/integration', 'agent-team/run-1/task-2', 'main']);
  });

  it('keeps locked and detached worktrees, and never touches a worktree of yours outside .worktrees', async () => {
    const integrationPath = await integration('run-1');
    const locked = await taskWith({ runId: 'run-1', taskId: 'task-1', commit: false });
    await repo.git('worktree', 'lock', locked);
    const detached = await taskWith({ runId: 'run-1', taskId: 'task-2', commit: false });
    await gitIn(detached, 'checkout', '--quiet', '--detach');
    // A person reviewing a task branch in a worktree of their own.
    const ownParent = await realpath(await mkdtemp(join(tmpdir(), 'agent-team-own-')));
    scratch.push(ownParent);
    const own = join(ownParent, 'review');
    await repo.git('branch', 'agent-team/run-1/task-4', 'main');
    await repo.git('worktree', 'add', '--quiet', own, 'agent-team/run-1/task-4');
    await writeFile(join(own, 'my-notes.txt'), 'mine\n');

    const report = await cleanWorktrees({ repo: repo.dir, force: true, deleteIntegration: true });

    expect(report.removedWorktrees).toEqual([integrationPath]);
    expect([...report.kept].sort((a, b) => String(a.path).localeCompare(String(b.path)))).toEqual(
      [
        {
          path: locked,
          branch: 'agent-team/run-1/task-1',
          reason: `locked (run \`git worktree unlock ${locked}\` to let clean remove it)`,
        },
        { path: detached, branch: null, reason: expect.stringContaining('on a detached HEAD') },
        { path: own, branch: 'agent-team/run-1/task-4', reason: 'outside .worktrees/: agent-team removes only the worktrees it created' },
      ].sort((a, b) => a.path.localeCompare(b.path)),
    );
    expect(report.deletedBranches.sort()).toEqual(['agent-team/run-1/integration', 'agent-team/run-1/task-2']);
    expect(await gitIn(own, 'status', '--porcelain')).toBe('?? my-notes.txt');
    expect(await worktreePaths()).toEqual([repo.dir, locked, detached, own].sort());
    expect(await branches()).toEqual(['agent-team/run-1/task-1', 'agent-team/run-1/task-4', 'main']);
  });

  it('cleans only the runs asked for, and forgets worktrees whose directory was deleted', async () => {
    await integration('run-1');
    const gone = await taskWith({ runId: 'run-1', taskId: 'task-1', commit: false });
    await rm(gone, { recursive: true, force: true });
    await integration('run-2');
    const other = await taskWith({ runId: 'run-2', taskId: 'task-1' });

    const report = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'] });

    expect(report.deletedBranches).toEqual(['agent-team/run-1/task-1']);
    expect(existsSync(other)).toBe(true);
    expect(await worktreePaths()).toEqual([repo.dir, other, join(repo.dir, '.worktrees', 'integration-run-2')].sort());
    expect(await branches()).toEqual(['agent-team/run-1/integration', 'agent-team/run-2/integration', 'agent-team/run-2/task-1', 'main']);
  });

  it('in a dry run reports exactly what a real clean does, and changes nothing', async () => {
    const integrationPath = await integration('run-1');
    await taskWith({ runId: 'run-1', taskId: 'task-1' });
    await taskWith({ runId: 'run-1', taskId: 'task-2' });
    const dirty = await taskWith({ runId: 'run-1', taskId: 'task-3' });
    await merge(integrationPath, 'agent-team/run-1/task-1');
    await writeFile(join(dirty, 'unsaved.txt'), 'not committed\n');
    await gitIn(repo.dir, 'branch', 'wip/run-1/task-9', 'main');
    const options = { repo: repo.dir, deleteWip: true, deleteIntegration: true };
    const refsBefore = await repo.git('for-each-ref');
    const worktreesBefore = await repo.git('worktree', 'list', '--porcelain');
    const statusBefore = await gitIn(dirty, 'status', '--porcelain');

    const dry = await cleanWorktrees({ ...options, dryRun: true });

    expect(await repo.git('for-each-ref')).toBe(refsBefore);
    expect(await repo.git('worktree', 'list', '--porcelain')).toBe(worktreesBefore);
    expect(await gitIn(dirty, 'status', '--porcelain')).toBe(statusBefore);
    expect(dry.savedWip).toEqual([{ path: dirty, branch: 'wip/run-1/task-3', commit: null }]);
    expect(dry.removedWorktrees).toHaveLength(4);

    const real = await cleanWorktrees(options);
    expect(sorted(real)).toEqual(
      sorted({ ...dry, savedWip: [{ path: dirty, branch: 'wip/run-1/task-3', commit: expect.stringMatching(/^[0-9a-f]{40}$/) }] }),
    );
    expect(real.deletedBranches.sort()).toEqual(['agent-team/run-1/task-1', 'wip/run-1/task-9']);
  });
});

describe('listRunIds', () => {
  it('finds runs from worktrees, agent-team branches and wip branches', async () => {
    expect(await listRunIds(repo.dir)).toEqual([]);
    await integration('run-b');
    // A detached integration worktree whose branch is gone still names its run.
    const detached = await integration('run-a');
    await gitIn(detached, 'checkout', '--quiet', '--detach');
    await repo.git('branch', '-D', 'agent-team/run-a/integration');
    await repo.git('branch', 'agent-team/run-c/task-1');
    await repo.git('branch', 'wip/run-d/task-1');
    await repo.git('branch', 'agent-team/not-a-run');
    await repo.git('branch', 'feature/mine');
    expect(await listRunIds(repo.dir)).toEqual(['run-a', 'run-b', 'run-c', 'run-d']);
  });
});
