/**
 * The configured test command runs in the sandbox wherever agents' code runs: as the
 * agent's run_command and after a merge. A run says once when commands are unconfined,
 * and does not start merging without a sandbox to test in. Real git, bwrap and processes.
 */
import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openTaskWorkspace, prepareWorkspace } from '../../../src/team/agents/task-workspace.js';
import { findExecutable } from '../../../src/workspace/command-sandbox.js';
import { mergeSequentially } from '../../../src/workspace/index.js';
import { runCommand } from '../../support/cli-in-process.js';
import { sampleRepo, type TempRepository } from '../../support/sample-repo.js';
import type { TempProject } from '../../support/temp-project.js';
import { writeWorkspaceConfig } from '../../support/workspace-config.js';

let repo: TempRepository | undefined;
let settings: TempProject | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await repo?.cleanup();
  await settings?.cleanup();
  repo = undefined;
  settings = undefined;
});

/** A test script that writes `target`, outside the worktree, and fails when it cannot. */
function escapingTest(target: string): string {
  return `require('node:fs').writeFileSync(${JSON.stringify(target)}, 'pwned');\nconsole.log('wrote outside');\n`;
}

const ESCAPING_PACKAGE = JSON.stringify({ name: 'sample-repo', version: '1.0.0', private: true, scripts: { test: 'node escape.js' } });

describe('the configured test command', () => {
  it("runs sandboxed as the agent's run_command and after the merge: a test writing outside fails, and writes nothing", async () => {
    repo = await sampleRepo();
    const written = await writeWorkspaceConfig(repo, { workspace: { test_command: ['npm', 'test'] } });
    settings = written.settings;
    const { config } = written;
    expect(config.orchestrator.workspace.sandbox).toBe('bwrap');
    const target = settings.path('escaped.txt');
    const workspace = await prepareWorkspace({ repo: repo.dir, runId: 'r1', config });
    const task = await openTaskWorkspace({ config, workspace, runId: 'r1', agentId: 'backend-dev', taskId: 'T1' });
    expect(task.tools.find((tool) => tool.name === 'run_command')?.description).toContain('Allowed: npm test. Commands can write only');

    const call = (name: string, input: object) => task.execute({ id: name, name, input });
    expect(await call('write_file', { path: 'escape.js', content: escapingTest(target) })).toMatchObject({ isError: false });
    expect(await call('write_file', { path: 'package.json', content: ESCAPING_PACKAGE })).toMatchObject({ isError: false });
    const result = await call('run_command', { command: ['npm', 'test'] });

    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/^\$ npm test\nexit code 1\n/);
    expect(result.content).not.toContain('wrote outside');
    expect(existsSync(target)).toBe(false);

    await task.commit('T1: a test that writes outside');
    const before = await repo.git('-C', workspace.integrationWorktree, 'rev-parse', 'HEAD');
    const workspaceSettings = config.orchestrator.workspace;
    const [outcome] = await mergeSequentially({
      integrationWorktree: workspace.integrationWorktree,
      integrationBranch: workspace.integrationBranch,
      candidates: [{ taskId: 'T1', title: 'a test that writes outside', branch: task.branch, worktree: task.path }],
      test: {
        argv: workspaceSettings.test_command ?? [],
        timeoutMs: workspaceSettings.command_timeout_seconds * 1000,
        outputCapBytes: workspaceSettings.output_cap_bytes,
        sandbox: workspaceSettings.sandbox,
      },
      autoMerge: true,
    });

    expect(outcome).toMatchObject({ taskId: 'T1', status: 'reverted', exitCode: 1 });
    expect(existsSync(target)).toBe(false);
    expect(await repo.git('-C', workspace.integrationWorktree, 'rev-parse', 'HEAD')).toBe(before);
  });
});

describe('a workspace run', () => {
  /** A PATH with git and node but no bwrap. */
  async function pathWithoutBwrap(): Promise<string> {
    const dir = settings?.path('bin') ?? '';
    await mkdir(dir, { recursive: true });
    for (const program of ['git', 'node']) {
      const found = await findExecutable(program, process.env['PATH'] ?? '');
      if (found === null) throw new Error(`${program} is not on PATH`);
      await symlink(found, join(dir, program));
    }
    return dir;
  }

  it('that merges with tests refuses to start without a sandbox, naming the opt-out', async () => {
    repo = await sampleRepo();
    const written = await writeWorkspaceConfig(repo);
    settings = written.settings;
    vi.stubEnv('PATH', await pathWithoutBwrap());

    const result = await runCommand(
      ['run', '--feature', 'Add a slugify helper', '--workspace', repo.dir, '--time-scale', '0', '--config', written.file],
      { cwd: settings.dir },
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'The tests after each merge (node --test) run in a sandbox, and none is available: bwrap (bubblewrap) is not on PATH.',
    );
    expect(result.stderr).toContain(`set "workspace.sandbox": "off" in ${written.file}`);
    expect(await repo.git('branch', '--list', 'agent-team/*')).toBe('');
  });

  it('with the sandbox off says so once, and runs', async () => {
    repo = await sampleRepo();
    const written = await writeWorkspaceConfig(repo, { workspace: { sandbox: 'off' } });
    settings = written.settings;

    const result = await runCommand(
      [
        'run',
        '--feature',
        'Add a slugify helper',
        '--workspace',
        repo.dir,
        '--time-scale',
        '0',
        '--plan-tasks',
        '1',
        '--config',
        written.file,
      ],
      { cwd: settings.dir },
    );

    expect(result.code, result.stderr).toBe(0);
    const notices = result.stderr.split('\n').filter((line) => line.includes('workspace.sandbox is \\"off\\"'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("agents' commands and the tests after merges run unconfined");
  });
});
