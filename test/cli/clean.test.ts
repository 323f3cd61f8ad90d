import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../src/config/index.js';
import type { RunStatus } from '../../src/state/index.js';
import { openTeamStore } from '../../src/team/index.js';
import { listWorktrees, recordRunHome } from '../../src/workspace/index.js';
import { writeRunningState } from '../support/running-state.js';
import type { CliResult } from '../support/cli.js';
import { runCommand } from '../support/cli-in-process.js';
import { sampleRepo, type TempRepository } from '../support/sample-repo.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { DEFAULT_ROSTER } from '../support/team-fixture.js';

// One real run with --workspace, shared by every check; they run in order and build on each other.
let repo: TempRepository;
let settings: TempProject;
let configFile: string;
let runId: string;
let leftover: string;

beforeAll(async () => {
  repo = await sampleRepo();
  settings = await tempProject('agent-team-clean-');
  // The config lives outside the repository, so the checkout stays clean.
  configFile = await settings.write(
    'orchestrator-config.json',
    JSON.stringify({
      project_dir: repo.dir,
      agents: DEFAULT_ROSTER,
      coordination: { auto_merge: true },
      workspace: { test_command: ['node', '--test'] },
    }),
  );
  // Three tasks keep the run short; clean does not care how many there were.
  const run = await cli(
    'run',
    '--feature',
    'Add user authentication',
    '--workspace',
    repo.dir,
    '--time-scale',
    '0',
    '--plan-tasks',
    '3',
    '--json',
  );
  expect(run.code, run.stderr).toBe(0);
  runId = (JSON.parse(run.stdout) as { runId: string }).runId;
  // What a crashed agent leaves: a task worktree with uncommitted changes (the run removes the merged ones itself).
  leftover = join(repo.dir, '.worktrees', 'backend-dev-T9');
  await repo.git('worktree', 'add', '--quiet', '-b', `agent-team/${runId}/T9`, leftover, `agent-team/${runId}/integration`);
  await writeFile(join(leftover, 'half-done.js'), 'export const half = 1;\n');
});

afterAll(async () => {
  await repo.cleanup();
  await settings.cleanup();
});

function cli(...args: string[]): Promise<CliResult> {
  return runCommand([...args, '--config', configFile], { cwd: settings.dir });
}

async function agentWorktrees(): Promise<string[]> {
  return (await listWorktrees(repo.dir)).map((entry) => entry.path).filter((path) => path.startsWith(join(repo.dir, '.worktrees')));
}

async function branches(): Promise<string[]> {
  return (await repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/')).split('\n').filter((line) => line !== '');
}

/** Sets the run's status in the state file, as a live or stopped run would have left it. */
async function setRunStatus(status: RunStatus): Promise<void> {
  const store = openTeamStore(loadTeamConfig({ configPath: configFile, cwd: settings.dir }));
  await store.update((state) => {
    state.run.status = status;
  });
}

interface CleanJson {
  repo: string;
  runs: string[];
  dryRun: boolean;
  removedWorktrees: string[];
  savedWip: unknown[];
  deletedBranches: string[];
  kept: { path: string | null; branch: string | null; reason: string }[];
  skippedRuns: { runId: string; reason: string }[];
}

describe('agent-team clean', () => {
  it('in a dry run prints what it would remove, and changes nothing', async () => {
    const worktrees = await agentWorktrees();
    const refs = await branches();
    expect(worktrees.sort()).toEqual([join(repo.dir, '.worktrees', `integration-${runId}`), leftover].sort());

    const dry = await cli('clean', '--workspace', repo.dir, '--dry-run');

    expect(dry.code, dry.stderr).toBe(0);
    const lines = dry.stdout.trimEnd().split('\n');
    for (const path of worktrees) expect(lines).toContain(`would remove worktree ${path}`);
    expect(lines).toContain(`would save uncommitted work of ${leftover} on wip/${runId}/T9`);
    expect(lines).toContain(
      `kept branch agent-team/${runId}/integration: the run's merged result (merge it into your branch; clean with --integration deletes it once merged)`,
    );
    expect(lines).toContain(
      `kept branch wip/${runId}/T9: saved work of a stopped agent, found nowhere else (clean with --wip to delete it)`,
    );
    expect(lines.at(-1)).toBe(
      `Dry run, nothing changed: 1 run; 2 worktree(s) to remove, 1 saved on wip branches, ${refs.length - 2} branch(es) to delete, 2 kept.`,
    );
    expect(await agentWorktrees()).toEqual(worktrees);
    expect(await branches()).toEqual(refs);
  });

  it('removes every worktree of a finished run, deletes its merged task branches and keeps the integration branch; a second clean is a no-op', async () => {
    const worktrees = await agentWorktrees();
    const taskBranches = (await branches()).filter(
      (branch) => branch.startsWith(`agent-team/${runId}/`) && !branch.endsWith('/integration'),
    );
    expect(taskBranches).toEqual([`agent-team/${runId}/T1`, `agent-team/${runId}/T2`, `agent-team/${runId}/T3`, `agent-team/${runId}/T9`]);

    const first = await cli('clean', '--workspace', repo.dir, '--json');

    expect(first.code, first.stderr).toBe(0);
    const report = JSON.parse(first.stdout) as CleanJson;
    expect(report.runs).toEqual([runId]);
    expect(report.removedWorktrees.sort()).toEqual(worktrees.sort());
    expect(report.deletedBranches.sort()).toEqual(taskBranches.sort());
    expect(report.savedWip).toEqual([
      { path: leftover, branch: `wip/${runId}/T9`, commit: await repo.git('rev-parse', `wip/${runId}/T9`) },
    ]);
    expect(await repo.git('show', `wip/${runId}/T9:half-done.js`)).toBe('export const half = 1;');
    expect(report.kept).toEqual([
      { path: null, branch: `wip/${runId}/T9`, reason: expect.stringContaining('saved work of a stopped agent') },
      { path: null, branch: `agent-team/${runId}/integration`, reason: expect.stringContaining("the run's merged result") },
    ]);
    expect(report.skippedRuns).toEqual([]);
    expect(await agentWorktrees()).toEqual([]);
    expect(await branches()).toEqual([`agent-team/${runId}/integration`, 'main', `wip/${runId}/T9`]);

    const second = await cli('clean', '--workspace', repo.dir, '--json');
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ ...report, removedWorktrees: [], savedWip: [], deletedBranches: [] });
  });

  it('refuses to touch a run that is still running: exit 2 when named, skipped otherwise', async () => {
    await setRunStatus('running');
    const named = await cli('clean', '--workspace', repo.dir, '--run', runId, '--integration', '--force');
    expect(named.code).toBe(2);
    expect(named.stderr).toContain(`Run ${runId} is still running`);

    const all = await cli('clean', '--workspace', repo.dir, '--integration', '--force', '--json');
    expect(all.code, all.stderr).toBe(0);
    const report = JSON.parse(all.stdout) as CleanJson;
    expect(report.runs).toEqual([]);
    expect(report.skippedRuns).toEqual([
      { runId, reason: 'still running: its agents work in these worktrees (clean again once it has ended)' },
    ]);
    expect(await branches()).toEqual([`agent-team/${runId}/integration`, 'main', `wip/${runId}/T9`]);
  });

  it('skips a resumable run unless named with --run, saying how to include it', async () => {
    await setRunStatus('interrupted');
    const all = await cli('clean', '--workspace', repo.dir, '--integration', '--force');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain(
      `skipped run ${runId}: interrupted, it can still be resumed with agent-team run --resume; ` +
        `to clean it anyway: agent-team clean --run ${runId} --workspace ${repo.dir} --config ${configFile}`,
    );
    expect(await branches()).toEqual([`agent-team/${runId}/integration`, 'main', `wip/${runId}/T9`]);

    const named = await cli('clean', '--workspace', repo.dir, '--run', runId, '--integration', '--wip', '--force', '--json');
    expect(named.code, named.stderr).toBe(0);
    expect((JSON.parse(named.stdout) as CleanJson).deletedBranches).toEqual([`wip/${runId}/T9`, `agent-team/${runId}/integration`]);
    expect(await branches()).toEqual(['main']);
  });

  it('says clearly when the workspace is not a git repository (exit 2)', async () => {
    const result = await cli('clean', '--workspace', settings.dir, '--json');
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: 'usage', message: expect.stringContaining(`${settings.dir} is not a git repository`) },
    });
  });
});

describe('agent-team clean in a repository that a run from another project works in', () => {
  it('leaves the run alone while its owner is live, and while it can be resumed; cleans it once it has ended', async () => {
    const other = await sampleRepo();
    const home = await tempProject('agent-team-home-');
    try {
      // The run lives in another project (its state there); its agents work in `other`. This test process is its owner.
      const config = loadTeamConfig({ cwd: home.dir });
      const store = await writeRunningState({ config, runId: 'elsewhere-1', feature: 'Add a cart' });
      await recordRunHome({ repo: other.dir, runId: 'elsewhere-1', stateFile: config.stateFile });
      await other.git('branch', 'agent-team/elsewhere-1/T1');
      const clean = async (): Promise<CleanJson> => {
        const result = await runCommand(['clean', '--json'], { cwd: other.dir });
        expect(result.code, result.stderr).toBe(0);
        return JSON.parse(result.stdout) as CleanJson;
      };

      const live = await clean();
      expect(live.runs).toEqual([]);
      expect(live.skippedRuns).toEqual([
        { runId: 'elsewhere-1', reason: expect.stringContaining(`live: it belongs to pid ${process.pid}`) },
      ]);
      expect(live.skippedRuns[0]?.reason).toContain(config.stateFile);

      await store.update((state) => {
        if (state.run.owner !== null) state.run.owner = { ...state.run.owner, pid: 999_999_999, pidStart: null };
      });
      const gone = await clean();
      expect(gone.skippedRuns).toEqual([{ runId: 'elsewhere-1', reason: expect.stringContaining('with its owner gone: resume it there') }]);
      expect(await other.git('branch', '--list', 'agent-team/elsewhere-1/*')).toContain('agent-team/elsewhere-1/T1');

      await store.update((state) => {
        state.run.status = 'done';
        state.run.owner = null;
      });
      const ended = await clean();
      expect(ended.runs).toEqual(['elsewhere-1']);
      expect(ended.skippedRuns).toEqual([]);
    } finally {
      await other.cleanup();
      await home.cleanup();
    }
  });
});
