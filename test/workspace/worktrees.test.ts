import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  changedFiles,
  cleanWorktrees,
  commitAll,
  createTaskWorktree,
  executeTool,
  git,
  isClean,
  removeWorktree,
  restoreWip,
  wipCommit,
  writeWorktreeStatus,
} from '../../src/workspace/index.js';
import { currentBranch, headCommit } from '../../src/workspace/git.js';
import { listRunWorktrees } from '../../src/workspace/worktree-cleanup.js';
import { sampleRepo, type TempRepository } from '../support/sample-repo.js';

let repo: TempRepository;

beforeEach(async () => {
  repo = await sampleRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

function task(runId: string, agentId: string, taskId: string): Parameters<typeof createTaskWorktree>[0] {
  return { repo: repo.dir, runId, agentId, taskId, base: 'main' };
}

async function branches(): Promise<string[]> {
  return (await repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/')).split('\n').filter((line) => line !== '');
}

describe('createTaskWorktree', () => {
  it('creates .worktrees/<agent>-<task> on agent-team/<run>/<task> from the base, hidden through .git/info/exclude', async () => {
    const main = await headCommit(repo.dir);
    const worktree = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));

    expect(worktree).toEqual({
      path: join(repo.dir, '.worktrees', 'dev-1-task-1'),
      branch: 'agent-team/run-1/task-1',
      baseCommit: main,
      resumed: false,
    });
    expect(await currentBranch(worktree.path)).toBe('agent-team/run-1/task-1');
    expect(await readFile(join(worktree.path, 'src', 'math.js'), 'utf8')).toContain('export function add');
    const exclude = await readFile(join(repo.dir, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude).toContain('/.worktrees/\n');
    expect(exclude).toContain('/agent-status.json\n');
    // The project's own .gitignore is left as it was.
    expect(await readFile(join(repo.dir, '.gitignore'), 'utf8')).toBe('node_modules/\n');
    expect(await isClean(repo.dir)).toBe(true);

    await createTaskWorktree(task('run-1', 'dev-2', 'task-2'));
    const again = await readFile(join(repo.dir, '.git', 'info', 'exclude'), 'utf8');
    expect(again).toBe(exclude);
  });

  it('cuts a task branch with its unmerged dependencies merged in, and counts its own changes from there', async () => {
    const dependency = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await writeFile(join(dependency.path, 'api.js'), 'export const api = 1;\n');
    await commitAll({ worktree: dependency.path, message: 'API' });
    const worktree = await createTaskWorktree({
      ...task('run-1', 'dev-2', 'task-2'),
      merge: [{ branch: dependency.branch, message: 'Build on task-1' }],
    });
    expect(await readFile(join(worktree.path, 'api.js'), 'utf8')).toBe('export const api = 1;\n');
    await writeFile(join(worktree.path, 'ui.js'), 'export const ui = 1;\n');
    expect(await changedFiles({ worktree: worktree.path, base: worktree.baseCommit })).toEqual(['ui.js']);
    // Reopened (a resumed run), it still knows where its own work starts.
    await rm(worktree.path, { recursive: true, force: true });
    const reopened = await createTaskWorktree(task('run-1', 'dev-2', 'task-2'));
    expect(reopened.resumed).toBe(true);
    expect(reopened.baseCommit).toBe(worktree.baseCommit);
  });

  it('undoes a cut whose dependencies conflict, with an error naming the files', async () => {
    const one = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    const two = await createTaskWorktree(task('run-1', 'dev-2', 'task-2'));
    await writeFile(join(one.path, 'src', 'math.js'), 'export const one = 1;\n');
    await writeFile(join(two.path, 'src', 'math.js'), 'export const two = 2;\n');
    await commitAll({ worktree: one.path, message: 'one' });
    await commitAll({ worktree: two.path, message: 'two' });
    const merge = [
      { branch: one.branch, message: 'Build on task-1' },
      { branch: two.branch, message: 'Build on task-2' },
    ];
    await expect(createTaskWorktree({ ...task('run-1', 'dev-3', 'task-3'), merge })).rejects.toMatchObject({
      code: 'workspace_dependency_conflict',
      message: expect.stringMatching(/conflicts in src\/math\.js/) as unknown as string,
    });
    expect(existsSync(join(repo.dir, '.worktrees', 'dev-3-task-3'))).toBe(false);
    expect(await branches()).not.toContain('agent-team/run-1/task-3');
  });

  it('holds the given lock around the bookkeeping', async () => {
    const events: string[] = [];
    const lock = async (root: string): Promise<() => Promise<void>> => {
      events.push(`lock ${root === repo.dir ? 'root' : root}`);
      return async () => {
        events.push('release');
      };
    };
    await createTaskWorktree({ ...task('run-1', 'dev-1', 'task-1'), lock });
    await expect(createTaskWorktree({ ...task('run-1', 'dev-1', 'bad id!'), lock })).rejects.toMatchObject({
      code: 'workspace_invalid_id',
    });
    expect(events).toEqual(['lock root', 'release', 'lock root', 'release']);
  });

  it('creates the worktrees of several agents at once', async () => {
    const created = await Promise.all(['1', '2', '3', '4'].map((n) => createTaskWorktree(task('run-1', `dev-${n}`, `task-${n}`))));
    expect(new Set(created.map((worktree) => worktree.path)).size).toBe(4);
    expect((await listRunWorktrees(repo.dir)).length).toBe(4);
    const exclude = await readFile(join(repo.dir, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.split('\n').filter((line) => line === '/.worktrees/')).toHaveLength(1);
  });

  it('reuses the worktree of the same run (resume), with its work and its original base', async () => {
    const first = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await writeFile(join(first.path, 'notes.txt'), 'half done\n');
    await commitAll({ worktree: first.path, message: 'Half of it' });
    await writeFile(join(repo.dir, 'later.txt'), 'main moves on\n');
    await repo.git('add', 'later.txt');
    await repo.git('commit', '--quiet', '-m', 'Main moves on');

    const resumed = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));

    expect(resumed).toEqual({ ...first, resumed: true });
    expect(await readFile(join(resumed.path, 'notes.txt'), 'utf8')).toBe('half done\n');
  });

  it('re-creates a deleted worktree directory from the branch of the same run', async () => {
    const first = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await writeFile(join(first.path, 'kept.txt'), 'committed\n');
    await commitAll({ worktree: first.path, message: 'Keep this' });
    await rm(first.path, { recursive: true, force: true });

    const resumed = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));

    expect(resumed).toMatchObject({ path: first.path, resumed: true, baseCommit: first.baseCommit });
    expect(await readFile(join(resumed.path, 'kept.txt'), 'utf8')).toBe('committed\n');
  });

  it('refuses a worktree that another run left for the same agent and task', async () => {
    await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    const error = createTaskWorktree(task('run-2', 'dev-1', 'task-1'));
    await expect(error).rejects.toMatchObject({ code: 'workspace_worktree_conflict' });
    await expect(error).rejects.toThrow(/already a worktree, on branch agent-team\/run-1\/task-1 of run run-1/);
  });

  it('says what is wrong with a bad id, a missing base or a directory that is no repository', async () => {
    await expect(createTaskWorktree(task('run-1', '../evil', 'task-1'))).rejects.toMatchObject({ code: 'workspace_invalid_id' });
    await expect(createTaskWorktree(task('run-1', 'dev-1', 'a/b'))).rejects.toMatchObject({ code: 'workspace_invalid_id' });
    await expect(createTaskWorktree({ ...task('run-1', 'dev-1', 'task-1'), base: 'develop' })).rejects.toThrow(
      'Base "develop" is not a commit',
    );
    await expect(createTaskWorktree({ ...task('run-1', 'dev-1', 'task-1'), repo: join(repo.dir, 'missing') })).rejects.toMatchObject({
      code: 'workspace_not_repository',
    });
  });
});

describe('commitAll and changedFiles', () => {
  it('commits everything as agent-team, naming the task, and returns null when nothing changed', async () => {
    const worktree = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    expect(await commitAll({ worktree: worktree.path, message: 'Nothing yet' })).toBeNull();
    await writeWorktreeStatus({
      worktree: worktree.path,
      status: { taskId: 'task-1', agentId: 'dev-1', status: 'working', progress: 10, filesChanged: [], gates: [], commit: null },
    });
    expect(await commitAll({ worktree: worktree.path, message: 'Only the status file' })).toBeNull();

    await writeFile(join(worktree.path, 'src', 'math.js'), 'export const add = (a, b) => a + b;\n');
    const sha = await commitAll({ worktree: worktree.path, message: 'Shorter add' });

    expect(sha).toBe(await headCommit(worktree.path));
    const log = await repo.git('log', '-1', '--format=%an <%ae>%n%cn <%ce>%n%B', sha ?? '');
    expect(log).toBe(
      'agent-team <agent-team@localhost>\nagent-team <agent-team@localhost>\ntask-1: Shorter add\n\nAgent-Team-Run: run-1\nAgent-Team-Task: task-1',
    );
    expect(await isClean(worktree.path)).toBe(true);
  });

  it("runs none of the user's hooks, which could block or prompt an unattended agent", async () => {
    const marker = join(repo.dir, 'post-commit-ran');
    await writeFile(join(repo.dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    await writeFile(join(repo.dir, '.git', 'hooks', 'post-commit'), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    const worktree = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await writeFile(join(worktree.path, 'file.txt'), 'x\n');

    expect(await commitAll({ worktree: worktree.path, message: 'Despite hooks' })).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(marker)).toBe(false);
  });

  it('lists files changed since the base, committed or not, relative to the repository', async () => {
    const worktree = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await mkdir(join(worktree.path, 'src', 'deep'), { recursive: true });
    await writeFile(join(worktree.path, 'src', 'deep', 'committed.js'), 'export {};\n');
    await commitAll({ worktree: worktree.path, message: 'First part' });
    await writeFile(join(worktree.path, 'src', 'math.js'), '// modified\n');
    await rm(join(worktree.path, 'README.md'));
    await writeFile(join(worktree.path, 'untracked.txt'), 'new\n');
    // Work merged into main meanwhile must not show up as this task's change.
    await writeFile(join(repo.dir, 'other-task.txt'), 'x');
    await repo.git('add', 'other-task.txt');
    await repo.git('commit', '--quiet', '-m', 'Another task');

    expect(await changedFiles({ worktree: worktree.path, base: 'main' })).toEqual([
      'README.md',
      'src/deep/committed.js',
      'src/math.js',
      'untracked.txt',
    ]);
  });
});

describe('wipCommit', () => {
  it('saves uncommitted work on wip/<run>/<task>, leaving the task branch, index and files alone', async () => {
    const worktree = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await writeFile(join(worktree.path, 'partial.js'), 'export const half = 1;\n');
    await writeFile(join(worktree.path, 'src', 'math.js'), '// in the middle of an edit\n');
    const head = await headCommit(worktree.path);
    const statusBefore = await gitOutput(worktree.path, 'status', '--porcelain');

    const saved = await wipCommit({ worktree: worktree.path, taskId: 'task-1' });

    expect(saved?.branch).toBe('wip/run-1/task-1');
    expect(await headCommit(worktree.path)).toBe(head);
    expect(await gitOutput(worktree.path, 'status', '--porcelain')).toBe(statusBefore);
    expect(await repo.git('show', 'wip/run-1/task-1:partial.js')).toBe('export const half = 1;');
    expect(await repo.git('rev-parse', 'wip/run-1/task-1^')).toBe(head);
    expect(await repo.git('log', '-1', '--format=%an %s', 'wip/run-1/task-1')).toMatch(/^agent-team task-1: Work in progress/);
  });

  it('keeps the work of an earlier stop reachable: it becomes the second parent of the next save', async () => {
    const worktree = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await writeFile(join(worktree.path, 'first.js'), 'export const first = 1;\n');
    const first = await wipCommit({ worktree: worktree.path, taskId: 'task-1' });
    // Saving the same files again changes nothing.
    expect(await wipCommit({ worktree: worktree.path, taskId: 'task-1' })).toEqual(first);
    await rm(join(worktree.path, 'first.js'));
    await writeFile(join(worktree.path, 'second.js'), 'export const second = 2;\n');
    const second = await wipCommit({ worktree: worktree.path, taskId: 'task-1' });
    expect(second?.commit).not.toBe(first?.commit);
    expect(await repo.git('rev-parse', 'wip/run-1/task-1^2')).toBe(first?.commit);
    expect(await repo.git('show', 'wip/run-1/task-1^2:first.js')).toBe('export const first = 1;');
    expect(await repo.git('show', 'wip/run-1/task-1:second.js')).toBe('export const second = 2;');
  });

  it('puts saved work back into a freshly cut worktree as uncommitted changes, or leaves the cut clean when it no longer applies', async () => {
    const first = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await writeFile(join(first.path, 'partial.js'), 'export const half = 1;\n');
    await writeFile(join(first.path, 'src', 'math.js'), `${await readFile(join(first.path, 'src', 'math.js'), 'utf8')}// more to come\n`);
    await wipCommit({ worktree: first.path, taskId: 'task-1' });
    await writeFile(join(first.path, 'later.js'), 'export const later = 2;\n');
    const saved = await wipCommit({ worktree: first.path, taskId: 'task-1' });
    // The worktree and its (empty) branch are cleaned away.
    await repo.git('worktree', 'remove', '--force', first.path);
    await repo.git('branch', '-D', first.branch);

    const again = await createTaskWorktree(task('run-1', 'dev-2', 'task-1'));
    expect(again.resumed).toBe(false);
    expect(await restoreWip({ worktree: again.path, runId: 'run-1', taskId: 'task-1' })).toBe(saved?.commit);
    expect(await readFile(join(again.path, 'partial.js'), 'utf8')).toBe('export const half = 1;\n');
    expect(await readFile(join(again.path, 'later.js'), 'utf8')).toBe('export const later = 2;\n');
    expect(await readFile(join(again.path, 'src', 'math.js'), 'utf8')).toContain('// more to come');
    // Uncommitted, nothing staged: as the agent left it.
    expect(
      (await gitOutput(again.path, 'status', '--porcelain'))
        .split('\n')
        .filter((line) => line !== '')
        .sort(),
    ).toEqual([' M src/math.js', '?? later.js', '?? partial.js']);
    expect(await restoreWip({ worktree: again.path, runId: 'run-1', taskId: 'task-9' })).toBeNull();

    // A base that moved under the saved change: it is not forced in.
    await repo.git('worktree', 'remove', '--force', again.path);
    await repo.git('branch', '-D', again.branch);
    await writeFile(join(repo.dir, 'src', 'math.js'), 'export const rewritten = true;\n');
    await repo.git('commit', '-qam', 'rewrite math');
    const moved = await createTaskWorktree(task('run-1', 'dev-3', 'task-1'));
    expect(await restoreWip({ worktree: moved.path, runId: 'run-1', taskId: 'task-1' })).toBeNull();
    expect(await gitOutput(moved.path, 'status', '--porcelain')).toBe('');
  });

  it('returns null when there is nothing to save, and refuses a worktree of another task', async () => {
    const worktree = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    expect(await wipCommit({ worktree: worktree.path, taskId: 'task-1' })).toBeNull();
    await expect(wipCommit({ worktree: worktree.path, taskId: 'task-9' })).rejects.toMatchObject({ code: 'workspace_not_agent_worktree' });
  });
});

describe('removing and cleaning worktrees', () => {
  it('removes one worktree with its branch, and refuses paths that are not agent worktrees', async () => {
    const worktree = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    const removed = await removeWorktree({ repo: repo.dir, path: worktree.path, deleteBranch: true });
    expect(removed).toEqual({ path: worktree.path, deletedBranch: 'agent-team/run-1/task-1' });
    expect(existsSync(worktree.path)).toBe(false);
    expect(await branches()).toEqual(['main']);
    await expect(removeWorktree({ repo: repo.dir, path: repo.dir, deleteBranch: false })).rejects.toMatchObject({
      code: 'workspace_not_agent_worktree',
    });
  });

  it('lists the worktrees of every run with their run, task and agent, and the integration worktree of a run', async () => {
    await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await createTaskWorktree(task('run-2', 'qa-1', 'task-7'));
    await repo.git(
      'worktree',
      'add',
      '--quiet',
      '-b',
      'agent-team/run-2/integration',
      join(repo.dir, '.worktrees', 'integration-run-2'),
      'main',
    );
    const listed = await listRunWorktrees(repo.dir);
    expect(
      listed
        .map(({ kind, runId, taskId, agentId, branch }) => ({ kind, runId, taskId, agentId, branch }))
        .sort((a, b) => String(a.branch).localeCompare(String(b.branch))),
    ).toEqual([
      { kind: 'task', runId: 'run-1', taskId: 'task-1', agentId: 'dev-1', branch: 'agent-team/run-1/task-1' },
      { kind: 'integration', runId: 'run-2', taskId: null, agentId: null, branch: 'agent-team/run-2/integration' },
      { kind: 'task', runId: 'run-2', taskId: 'task-7', agentId: 'qa-1', branch: 'agent-team/run-2/task-7' },
    ]);
  });

  it('cleans what an interrupted run left behind: merged branches go, uncommitted work is saved on wip first', async () => {
    const committed = await createTaskWorktree(task('run-1', 'dev-1', 'task-1'));
    await writeFile(join(committed.path, 'done.txt'), 'done\n');
    await commitAll({ worktree: committed.path, message: 'Done' });
    const dirty = await createTaskWorktree(task('run-1', 'dev-2', 'task-2'));
    await writeFile(join(dirty.path, 'unsaved.txt'), 'not committed\n');
    const deleted = await createTaskWorktree(task('run-1', 'dev-3', 'task-3'));
    await rm(deleted.path, { recursive: true, force: true });
    const otherRun = await createTaskWorktree(task('run-2', 'dev-1', 'task-4'));

    // No integration branch: nothing counts as merged, so every task branch stays.
    const report = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'] });

    expect(report.removedWorktrees.sort()).toEqual([committed.path, dirty.path].sort());
    expect(report.savedWip).toEqual([
      { path: dirty.path, branch: 'wip/run-1/task-2', commit: await repo.git('rev-parse', 'wip/run-1/task-2') },
    ]);
    expect(report.deletedBranches).toEqual([]);
    expect(report.kept.map((item) => item.branch)).toEqual([
      'agent-team/run-1/task-1',
      'agent-team/run-1/task-2',
      'agent-team/run-1/task-3',
      'wip/run-1/task-2',
    ]);
    expect(await repo.git('show', 'wip/run-1/task-2:unsaved.txt')).toBe('not committed');
    expect(existsSync(otherRun.path)).toBe(true);

    const forced = await cleanWorktrees({ repo: repo.dir, runIds: ['run-1'], force: true, deleteWip: true });

    expect(forced.removedWorktrees).toEqual([]);
    expect(forced.deletedBranches).toEqual([
      'agent-team/run-1/task-1',
      'agent-team/run-1/task-2',
      'agent-team/run-1/task-3',
      'wip/run-1/task-2',
    ]);
    expect(await branches()).toEqual(['agent-team/run-2/task-4', 'main']);
    expect((await listRunWorktrees(repo.dir)).map((worktree) => worktree.path)).toEqual([otherRun.path]);
    expect(await isClean(repo.dir)).toBe(true);
  });
});

describe('the sample repository', () => {
  it('passes its own tests in an agent worktree, run through run_command', async () => {
    const worktree = await createTaskWorktree(task('run-1', 'qa-1', 'task-1'));
    const result = await executeTool({
      worktree: worktree.path,
      call: { id: 'call-1', name: 'run_command', input: { command: ['npm', 'test'] } },
      allowlist: [['npm', 'test']],
      sandbox: 'bwrap',
      commandTimeoutMs: 30_000,
      outputCapBytes: 20_000,
    });
    expect(result.isError, result.content).toBe(false);
    expect(result.content).toContain('exit code 0');
    expect(result.content).toMatch(/# pass 3/);
  });
});

async function gitOutput(cwd: string, ...args: string[]): Promise<string> {
  return (await git({ cwd, args })).stdout;
}
