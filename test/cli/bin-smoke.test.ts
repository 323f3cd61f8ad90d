/**
 * One real `bin/agent-team.js` process per command family: the entry point, the process's
 * terminal (piped, no colour even without NO_COLOR), exit codes and stdout/stderr as a shell
 * sees them. Everything else about the commands is tested in-process; batch's bin/ test is its
 * --stdin run in batch.test.ts (stdin is the process's own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../support/cli.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const ANSI = /\u001b\[/;
let project: TempProject;

beforeAll(async () => {
  ensureBuilt();
  project = await tempProject('agent-team-bin-');
});

afterAll(async () => {
  await project.cleanup();
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

  it('status --json reads what the run left', async () => {
    const status = await runCli(['status', '--json'], { cwd: project.dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toBe('');
    expect((JSON.parse(status.stdout) as { run: { status: string } }).run.status).toBe('done');
  });

  it('config check validates the built-in team', async () => {
    const check = await runCli(['config', 'check'], { cwd: project.dir });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toBe('');
    expect(check.stdout).toMatch(/^Configuration is valid\.\n {2}orchestrator config {2}built-in default\n/);
  });

  it('roles --json lists the roles', async () => {
    const result = await runCli(['roles', '--json'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { role: string }[]).map((role) => role.role)).toContain('orchestrator');
  });

  it('clean outside a git repository: exit 2 and the message on stderr, nothing on stdout', async () => {
    const result = await runCli(['clean', '--workspace', project.dir], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${project.dir} is not a git repository.`);
  });
});
