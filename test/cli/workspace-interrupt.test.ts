/**
 * Ctrl-C in a run that changes code: the repository is left with nothing
 * `agent-team clean` cannot remove, and `run --resume` finishes the work,
 * in one process and with agent processes. Real git, real signals.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { teamStateSchema } from '../../src/state/index.js';
import { listRunWorktrees } from '../../src/workspace/worktree-cleanup.js';
import { runCommand, startCommand } from '../support/cli-in-process.js';
import { type CliResult, ensureBuilt, startCli } from '../support/cli.js';
import { readEntries } from '../support/ledger.js';
import { sampleRepo, type TempRepository } from '../support/sample-repo.js';
import type { TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';
import { writeWorkspaceConfig } from '../support/workspace-config.js';

useProcessesTimeout();

const FEATURE = 'Add user authentication with email and password';
let project: TempProject | undefined;
let repo: TempRepository | undefined;

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await project?.cleanup();
  await repo?.cleanup();
});

async function setup(): Promise<{ project: TempProject; repo: TempRepository }> {
  repo = await sampleRepo();
  const written = (await writeWorkspaceConfig(repo)).settings;
  project = written;
  return { project: written, repo };
}

/**
 * Starts a run to be stopped with Ctrl-C: with agent processes, a real process that gets SIGINT
 * (its agents are in its process group); otherwise in this process, stopped by the abort its
 * SIGINT handler would signal (the signal itself is tested in interrupt-resume.test.ts).
 */
function startRun(input: { args: string[]; cwd: string; processes: boolean }): {
  done: Promise<CliResult>;
  waitForOutput(pattern: RegExp): Promise<void>;
  interrupt(): void;
} {
  if (!input.processes) return startCommand(input.args, { cwd: input.cwd });
  const running = startCli(input.args, { cwd: input.cwd });
  return { done: running.done, waitForOutput: running.waitForOutput, interrupt: () => running.kill('SIGINT') };
}

async function readState(repo: TempRepository): Promise<ReturnType<typeof teamStateSchema.parse>> {
  return teamStateSchema.parse(JSON.parse(await readFile(`${repo.dir}/.ai-agents/state/team-communication.json`, 'utf8')));
}

describe.each([
  { mode: 'in-process', extra: [] as string[] },
  { mode: 'processes', extra: ['--processes'] },
])('Ctrl-C in a workspace run ($mode)', ({ extra }) => {
  it('leaves nothing clean cannot remove, and the run resumes after a clean to merge every task once', async () => {
    const { project, repo } = await setup();
    const mainBefore = await repo.git('rev-parse', 'main');
    // Four tasks (T2 and T3 after T1, T4 after T2): some are left when the first merge is printed.
    const args = ['run', '--feature', FEATURE, '--seed', '2', '--plan-tasks', '4', '--time-scale', '0.02', '--workspace', repo.dir];
    const running = startRun({ args: [...args, ...extra], cwd: project.dir, processes: extra.length > 0 });
    await running.waitForOutput(/merged: into/);
    running.interrupt();
    const interrupted = await running.done;
    expect(interrupted.code).toBe(130);
    const state = await readState(repo);
    const runId = state.run.id;
    expect(state.run.status).toBe('interrupted');
    expect(state.tasks.some((task) => task.status === 'in_progress')).toBe(false);
    expect(state.tasks.some((task) => task.status !== 'done')).toBe(true);
    // The user's branch and checkout are untouched; the run's files are hidden from git status.
    expect(await repo.git('rev-parse', 'main')).toBe(mainBefore);
    expect(await repo.git('status', '--porcelain')).toBe('');

    // A resumable run is left alone unless named.
    const skipped = await runCommand(['clean', '--json'], { cwd: project.dir });
    expect(skipped.code).toBe(0);
    expect(
      (JSON.parse(skipped.stdout) as { skippedRuns: { runId: string }[]; removedWorktrees: string[] }).skippedRuns.map((run) => run.runId),
    ).toEqual([runId]);

    const cleaned = await runCommand(['clean', '--run', runId, '--json'], { cwd: project.dir });
    expect(cleaned.stderr).toBe('');
    expect(cleaned.code).toBe(0);
    expect(await listRunWorktrees(repo.dir)).toEqual([]);

    const resumed = await runCommand(['run', '--resume', '--time-scale', '0', '--json'], { cwd: project.dir });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const final = await readState(repo);
    expect(final.run.status).toBe('done');
    const ledger = await readEntries(`${repo.dir}/.ai-agents/state/run_ledger.jsonl`);
    const merged = ledger.filter((entry) => entry.type === 'task-merge' && entry['status'] === 'merged').map((entry) => entry['taskId']);
    expect([...merged].sort()).toEqual(final.tasks.map((task) => task.id).sort());
    // Every task's files are on the integration branch, and its tests pass there.
    const tree = await repo.git('ls-tree', '-r', '--name-only', `agent-team/${runId}/integration`);
    for (const task of final.tasks) for (const file of task.result?.filesChanged ?? []) expect(tree).toContain(file);

    const status = await runCommand(['status', '--json'], { cwd: project.dir });
    const workspace = (
      JSON.parse(status.stdout) as { workspace: { integrationBranch: string; branches: { taskId: string; merge: string | null }[] } }
    ).workspace;
    expect(workspace.integrationBranch).toBe(`agent-team/${runId}/integration`);
    expect(workspace.branches.map((branch) => branch.taskId).sort()).toEqual(final.tasks.map((task) => task.id).sort());
    expect(workspace.branches.every((branch) => branch.merge?.startsWith('merged:') === true)).toBe(true);

    const after = await runCommand(['clean', '--json'], { cwd: project.dir });
    expect(after.code).toBe(0);
    expect(await listRunWorktrees(repo.dir)).toEqual([]);
    expect(await repo.git('for-each-ref', '--format=%(refname:short)', `refs/heads/agent-team/${runId}/`)).toBe(
      `agent-team/${runId}/integration`,
    );
    expect(await repo.git('status', '--porcelain')).toBe('');
  });
});

describe('run --workspace with no path', () => {
  it("works in the config's project_dir", async () => {
    const { project, repo } = await setup();
    const result = await runCommand(
      ['run', '--feature', 'Add a slugify helper', '--workspace', '--time-scale', '0', '--plan-tasks', '2', '--json'],
      { cwd: project.dir },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const state = await readState(repo);
    expect(state.run.options.workspace).toBe(repo.dir);
    expect(await repo.git('ls-tree', '-r', '--name-only', `agent-team/${state.run.id}/integration`)).toMatch(/src\/.*part-1\.ts/);
  });
});
