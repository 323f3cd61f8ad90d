/**
 * One real `bin/agent-team.js` process per command family: the entry point, the process's
 * terminal (piped, no colour even without NO_COLOR), exit codes and stdout/stderr as a shell
 * sees them. Everything else about the commands is tested in-process.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../support/cli.js';
import { sampleRepo, type TempRepository } from '../support/sample-repo.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const ANSI = /\u001b\[/;
let project: TempProject;
let repo: TempRepository;

beforeAll(async () => {
  ensureBuilt();
  [project, repo] = await Promise.all([tempProject('agent-team-bin-'), sampleRepo()]);
});

afterAll(async () => {
  await Promise.all([project.cleanup(), repo.cleanup()]);
});

describe('bin/agent-team.js', () => {
  it('run, piped and without NO_COLOR: plain lines, the simulated notice first, exit 0', async () => {
    const result = await runCli(['run', '--feature', 'Add login', '--time-scale', '0', '--plan-tasks', '2'], {
      cwd: project.dir,
      env: { NO_COLOR: undefined },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toMatch(ANSI);
    expect(result.stdout.split('\n')[0]).toMatch(/^agent-team: simulated run: sim provider, seed \d+, time scale 0; no model is called/);
    expect(result.stdout).toMatch(/^Run \S+: done — all tasks done$/m);
  });

  it('status --json and ledger --json read what the run left', async () => {
    const [status, ledger] = await Promise.all([
      runCli(['status', '--json'], { cwd: project.dir }),
      runCli(['ledger', '--json'], { cwd: project.dir }),
    ]);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { run: { status: string } }).run.status).toBe('done');
    expect(ledger.code, ledger.stderr).toBe(0);
    const lines = (text: string): unknown[] =>
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown);
    expect(lines(ledger.stdout)).toEqual(lines(await readFile(project.path('.ai-agents/state/run_ledger.jsonl'), 'utf8')));
  });

  it('config check, prompt and plan exit 0 with their result on stdout', async () => {
    const [check, prompt, plan] = await Promise.all([
      runCli(['config', 'check', '--json'], { cwd: project.dir }),
      runCli(['prompt', 'manager'], { cwd: project.dir }),
      runCli(['plan', '--feature', 'Add a shopping cart', '--json'], { cwd: project.dir }),
    ]);
    for (const result of [check, prompt, plan]) expect(result.code, result.stderr).toBe(0);
    for (const result of [check, plan]) expect(result.stderr).toBe('');
    expect((JSON.parse(check.stdout) as { ok: boolean }).ok).toBe(true);
    expect(prompt.stdout).toContain('You are agent `manager`');
    expect((JSON.parse(plan.stdout) as { tasks: unknown[] }).tasks.length).toBeGreaterThan(0);
  });

  it('batch status of a directory that is no batch run: exit 2, the error as JSON on stdout', async () => {
    const result = await runCli(['batch', 'status', '--run-dir', 'nowhere', '--json'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: {
        code: 'usage',
        message: `${project.path('nowhere')} is not a batch run directory: it has no tasks.json. Pass the directory that \`agent-team batch run\` printed.`,
      },
    });
  });

  it('roles --json lists the roles', async () => {
    const result = await runCli(['roles', '--json'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { role: string }[]).map((role) => role.role)).toContain('orchestrator');
  });

  it('clean --dry-run in a repository no run touched: exit 0, nothing removed', async () => {
    const result = await runCli(['clean', '--workspace', repo.dir, '--dry-run', '--json'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ removedWorktrees: [] });
  });

  it('a usage error: exit 2 and the message on stderr', async () => {
    const result = await runCli(['clean', '--workspace', project.dir], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${project.dir} is not a git repository.`);
  });
});
