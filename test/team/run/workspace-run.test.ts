import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig, type TeamConfig } from '../../../src/config/index.js';
import { runTeam } from '../../../src/team/index.js';
import { readEntries } from '../../support/ledger.js';
import { sampleRepo, type TempRepository } from '../../support/sample-repo.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { DEFAULT_ROSTER } from '../../support/team-fixture.js';
import { writeWorkspaceConfig } from '../../support/workspace-config.js';
import { useProcessesTimeout } from '../../support/timeouts.js';

// Real git repositories, worktrees and sandboxed processes: slow on a loaded machine; the bound only catches a hang.
useProcessesTimeout();

let repo: TempRepository | undefined;
let settings: TempProject | undefined;
afterEach(async () => {
  await repo?.cleanup();
  await settings?.cleanup();
});

async function configFor(autoMerge: boolean): Promise<TeamConfig> {
  if (repo === undefined) throw new Error('no repository');
  const written = await writeWorkspaceConfig(repo, { coordination: { auto_merge: autoMerge } });
  settings = written.settings;
  return written.config;
}

describe('a sim run that changes code in a git repository', () => {
  it('gives each task a worktree and a commit, merges them in dependency order with the tests green, and leaves the checkout alone', async () => {
    repo = await sampleRepo();
    const config = await configFor(true);
    const mainBefore = await repo.git('rev-parse', 'main');
    const result = await runTeam({ config, feature: 'Add user authentication', seed: 1, timeScale: 0, workspace: repo.dir });
    expect(result.status).toBe('done');
    const runId = result.runId;
    const integration = `agent-team/${runId}/integration`;
    const ledger = await readEntries(result.files.ledger);
    const commits = ledger.filter((entry) => entry.type === 'task-commit');
    const merges = ledger.filter((entry) => entry.type === 'task-merge');
    expect(commits.length).toBe(result.summary.tasks.total);
    expect(merges.every((entry) => entry['status'] === 'merged')).toBe(true);
    // One merge per task, in plan order (dependencies first).
    const log = (await repo.git('log', '--format=%s', '--first-parent', integration)).split('\n').reverse();
    const merged = log.filter((line) => line.startsWith('Merge ')).map((line) => /^Merge (\S+):/.exec(line)?.[1]);
    expect(merged).toEqual(merges.map((entry) => entry['taskId']));
    // A task merges only after everything it depends on.
    const state = JSON.parse(await readFile(config.stateFile, 'utf8')) as { tasks: { id: string; dependsOn: string[] }[] };
    for (const task of state.tasks) {
      for (const dependency of task.dependsOn) expect(merged.indexOf(dependency)).toBeLessThan(merged.indexOf(task.id));
    }
    expect(result.summary.metrics).toMatchObject({
      totalTasks: result.summary.tasks.total,
      successful: result.summary.tasks.total,
      failed: 0,
      testFailures: 0,
    });
    // Every task's declared files are on the integration branch, and its tests pass there.
    const tree = await repo.git('ls-tree', '-r', '--name-only', integration);
    expect(tree).toContain('docs/api/user-authentication.md');
    // The user's branch and checkout are untouched.
    expect(await repo.git('rev-parse', 'main')).toBe(mainBefore);
    expect(await repo.git('status', '--porcelain', '--untracked-files=no')).toBe('');
    const report = await readFile(result.files.report, 'utf8');
    expect(report).toContain('## Branches');
  });

  it('refuses a gate without a prompt before anything is written, naming the setting and the file', async () => {
    repo = await sampleRepo();
    settings = await tempProject();
    const file = await settings.write(
      'orchestrator-config.json',
      JSON.stringify({
        project_dir: repo.dir,
        agents: DEFAULT_ROSTER,
        workspace: { test_command: ['node', '--test'], gates: [{ name: 'security' }, { name: 'privacy' }] },
      }),
    );
    const config = loadTeamConfig({ configPath: file, cwd: settings.dir });
    const failure = await runTeam({ config, feature: 'Add user authentication', timeScale: 0, workspace: repo.dir }).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'config_invalid', exitCode: 2 });
    expect(String((failure as Error).message)).toMatch(
      /workspace\.gates\.1\.name: expected a prompt file at .*prompts\/gates\/privacy\.md, found no such file/,
    );
    expect(String((failure as Error).message)).toContain('remove "privacy" from workspace.gates');
    expect(existsSync(config.stateFile)).toBe(false);
    expect(await repo.git('worktree', 'list', '--porcelain')).not.toContain('.worktrees');
  });

  it('refuses a repository with no commit yet, with the command that fixes it', async () => {
    repo = await sampleRepo();
    await repo.git('update-ref', '-d', 'HEAD');
    const config = await configFor(false);
    const failure = await runTeam({ config, feature: 'Add user authentication', timeScale: 0, workspace: repo.dir }).catch(
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: 'workspace_no_commit', exitCode: 2 });
    expect(String((failure as Error).message)).toContain('git add -A && git commit');
    expect(await repo.git('worktree', 'list', '--porcelain')).not.toContain('.worktrees');
  });

  it('refuses a repository with uncommitted changes, before writing anything', async () => {
    repo = await sampleRepo();
    const config = await configFor(false);
    await writeFile(join(repo.dir, 'src', 'math.js'), '// edited\n');
    const failure = await runTeam({ config, feature: 'Add user authentication', timeScale: 0, workspace: repo.dir }).catch(
      (error: unknown) => error,
    );
    expect(String((failure as Error).message)).toMatch(/uncommitted changes/);
    expect(await repo.git('status', '--porcelain')).toBe('M src/math.js');
  });
});
