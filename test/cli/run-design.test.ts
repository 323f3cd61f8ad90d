/**
 * A run keeps the design it was started with: the agent processes of `run --roster … --processes` work as
 * the roster given (an agent only that roster has joins the run), so does a `worker` serving the run's
 * remote agents, `run --resume` without `--roster` goes on with it, and a different roster given to the
 * run is refused, naming both.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { loadTeamConfig, readDesignFile } from '../../src/config/index.js';
import { runTeam } from '../../src/team/index.js';
import { startCli } from '../support/cli.js';
import { buildIfStale } from '../support/fresh-build.js';
import { readEntries } from '../support/ledger.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

// An agent id the built-in roster does not have: only a process that applies the run's design knows it.
const ROSTER = '- { id: manager, role: team_manager }\n- { id: solo-dev, role: backend_developer }\n';
const TIERS = JSON.stringify({ simple: 'claude-haiku-4-5', medium: 'claude-haiku-4-5', complex: 'claude-haiku-4-5' });

let project: TempProject;

beforeAll(() => buildIfStale(['src']));

afterEach(async () => {
  await project?.cleanup();
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const terminal = bufferTerminal();
  const code = await main(['node', 'agent-team', ...args], { terminal, cwd: project.dir });
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

interface RunResult {
  status: string;
  files: { summary: string; ledger: string };
}

describe('a run and its design', () => {
  it('gives agent processes the roster and tiers the run started with', async () => {
    project = await tempProject('agent-team-run-design-');
    await project.write('roster.yml', ROSTER);
    await project.write('tiers.json', TIERS);
    const args = ['run', '--feature', 'Add a slugify helper', '--plan-tasks', '3', '--time-scale', '0', '--json'];
    const result = await cli([...args, '--roster', 'roster.yml', '--tiers', 'tiers.json', '--processes']);
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout) as RunResult;
    expect(run.status).toBe('done');
    const ledger = await readEntries(run.files.ledger);
    const workers = ledger.filter((entry) => entry.type === 'agent-start').map((entry) => entry['agentId']);
    expect(workers).toContain('solo-dev');
    const calls = ledger.filter((entry) => entry.type === 'model-call');
    expect(new Set(calls.map((entry) => entry['agentId']))).toEqual(new Set(['manager', 'solo-dev']));
    expect(new Set(calls.map((entry) => entry['model']))).toEqual(new Set(['claude-haiku-4-5']));
  });

  it('lets a worker serve an agent that only the run’s design has, and refuses one the run does not have', async () => {
    project = await tempProject('agent-team-run-design-');
    await project.write('roster.yml', ROSTER);
    // Started first: it waits for a live run, then serves the agents it names that the run's roster has.
    const worker = startCli(['worker', '--agents', 'solo-dev', '--once'], { cwd: project.dir });
    const stranger = startCli(['worker', '--agents', 'nobody-dev', '--once'], { cwd: project.dir });
    const args = ['run', '--feature', 'Add a slugify helper', '--plan-tasks', '3', '--time-scale', '0', '--json'];
    const result = await cli([...args, '--roster', 'roster.yml', '--remote-agents', 'solo-dev']);
    expect(result.code, result.stderr).toBe(0);
    const run = JSON.parse(result.stdout) as RunResult;
    expect(run.status).toBe('done');
    const served = await worker.done;
    expect(served.code, served.stderr).toBe(0);
    expect(served.stdout).toContain('joined run');
    const ledger = await readEntries(run.files.ledger);
    const starts = ledger.filter((entry) => entry.type === 'agent-start');
    expect(starts.map((entry) => entry['agentId'])).toEqual(['solo-dev']);
    expect(starts[0]?.['pid']).toBe(worker.pid);
    const refused = await stranger.done;
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--agents names "nobody-dev": a worker serves role agents of the run's roster (solo-dev)`);
  });

  it('resumes with the run’s own design, and refuses another one', async () => {
    project = await tempProject('agent-team-run-design-');
    await project.write('roster.yml', ROSTER);
    await project.write('other.yml', ROSTER.replace('solo-dev', 'other-dev'));
    // Planned and stopped before any work: a run to resume, started with roster.yml.
    const config = loadTeamConfig({ cwd: project.dir, overrides: { roster: readDesignFile(project.path('roster.yml'), 'roster') } });
    const planned = await runTeam({ config, feature: 'Add a slugify helper', planTasks: 3, timeScale: 0, stopAfterPlan: true });
    expect(planned.status).toBe('interrupted');
    const refused = await cli(['run', '--resume', '--roster', 'other.yml']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('a run keeps its design');
    expect(refused.stderr).toContain('roster.yml');
    expect(refused.stderr).toContain('other.yml');
    const resumed = await cli(['run', '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const run = JSON.parse(resumed.stdout) as RunResult;
    expect(run.status).toBe('done');
    const summary = JSON.parse(await readFile(run.files.summary, 'utf8')) as { design: { roster: { id: string }[] } };
    expect(summary.design.roster.map((member) => member.id)).toEqual(['manager', 'solo-dev']);
  });
});
