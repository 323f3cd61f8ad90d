import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentStatus } from '../../src/solo/index.js';
import type { MemoryRecord } from '../../src/memory/index.js';
import { buildIfStale } from '../support/fresh-build.js';
import { runCommand } from '../support/cli-in-process.js';
import { ensureBuilt } from '../support/cli.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

// Instant sim answers: the tests are about memory flowing between agents, not latency.
const FAST = ['--time-scale', '0'];

let project: TempProject;

beforeAll(async () => {
  ensureBuilt();
  await buildIfStale(['src/memory', 'src/cli']);
  project = await tempProject('agent-team-roles-');
}, 120_000);

afterAll(async () => {
  await project.cleanup();
});

const cli = (args: string[]) => runCommand(args, { cwd: project.dir });

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

describe('agent-team roles and init-config', () => {
  it('lists every role with its description, as text and JSON', async () => {
    const text = await cli(['roles']);
    expect(text.code).toBe(0);
    for (const role of ['orchestrator', 'test', 'code', 'review', 'docs', 'debug', 'custom'])
      expect(text.stdout).toMatch(new RegExp(`^${role}\\s+\\S`, 'm'));
    expect(text.stdout).toMatch(/^test\s+Writes and runs tests; saves failures as errors/m);
    const roles = json<{ role: string; saves: string[] }[]>((await cli(['roles', '--json'])).stdout);
    expect(roles.map((role) => role.role)).toEqual(['orchestrator', 'test', 'code', 'review', 'docs', 'debug', 'custom']);
    expect(roles.find((role) => role.role === 'debug')?.saves).toEqual(['error']);
  });

  it('writes an example agents.json and refuses to overwrite it without --force', async () => {
    const first = await cli(['init-config', '-o', 'example/agents.json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('agent-team queue run example/agents.json');
    const entries = json<{ role: string; directory: string; task: string }[]>(
      await readFile(project.path('example', 'agents.json'), 'utf8'),
    );
    expect(entries.map((entry) => entry.role)).toEqual(['code', 'test', 'review', 'docs']);
    const again = await cli(['init-config', '-o', 'example/agents.json']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/agents\.json already exists\. Pass --force/);
    expect((await cli(['init-config', '-o', 'example/agents.json', '--force'])).code).toBe(0);
  });
});

describe('agent-team queue run', () => {
  it('shares memory: what the first agent saves, the second finds and builds on', async () => {
    await project.write(
      'agents.json',
      JSON.stringify([
        { role: 'code', directory: './src', task: 'Implement the session store for user login.' },
        { role: 'review', directory: './src', task: 'Review the session store for user login.' },
      ]),
    );
    const result = await cli(['queue', 'run', 'agents.json', '--workers', '1', '--project', 'login', '--json', ...FAST]);
    expect(result.code, result.stderr).toBe(0);
    const { agents } = json<{ agents: { id: string; role: string; status: string; summary: string; saved: MemoryRecord[] }[] }>(
      result.stdout,
    );
    const [coder, reviewer] = agents;
    expect(coder).toMatchObject({ role: 'code', status: 'completed' });
    expect(reviewer).toMatchObject({ role: 'review', status: 'completed' });
    const decision = coder?.saved[0];
    expect(decision?.type).toBe('decision');
    expect(coder?.summary).not.toContain('Used');
    expect(reviewer?.summary).toContain(`Used 1 memory, first: "${decision?.content.slice(0, 60)}"`);

    const findings = json<MemoryRecord[]>((await cli(['findings', '--project', 'login', '--json'])).stdout);
    expect(findings.map((memory) => [memory.type, memory.role])).toEqual([
      ['fact', 'review'],
      ['decision', 'code'],
    ]);
    expect(findings[1]?.content).toBe(decision?.content);
    expect(json<MemoryRecord[]>((await cli(['findings', '--project', 'elsewhere', '--json'])).stdout)).toEqual([]);
    const decisions = await cli(['findings', '--project', 'login', '--type', 'decision']);
    expect(decisions.stdout).toContain('1 decision memory in project "login"');
  });

  it('prints a live line per agent start and finish, then a table', async () => {
    await project.write(
      'two.json',
      JSON.stringify([
        { role: 'docs', directory: './docs', task: 'Document the login API.' },
        { role: 'custom', directory: '.', task: 'Audit dependencies.' },
      ]),
    );
    const result = await cli(['queue', 'run', 'two.json', '--workers', '2', '--project', 'live', ...FAST]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/docs-1-\w+ started: Document the login API\./);
    expect(result.stdout).toMatch(/custom-2-\w+ completed in [\d.]+ s, saved 1 memory/);
    expect(result.stdout).toMatch(/^agent\s+role\s+status\s+time\s+saved\s+tokens\s+summary$/m);
    expect(result.stdout).toContain('2/2 agents completed');
  });

  it('rejects an invalid agents.json naming the file and the entry', async () => {
    await project.write(
      'bad.json',
      JSON.stringify([
        { role: 'code', directory: './src', task: 'ok' },
        { role: 'tester', directory: '', task: 'x', extra: 1 },
      ]),
    );
    const result = await cli(['queue', 'run', 'bad.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad.json is invalid');
    expect(result.stderr).toMatch(/1\.role: expected a role: one of orchestrator, test, code/);
    expect(result.stderr).toMatch(/1\.directory: expected the directory/);
    expect(result.stderr).toMatch(/1: unknown key "extra"/);
  });
});

describe('agent-team spawn, errors and monitor', () => {
  it('spawn --wait runs in the foreground; errors lists open failures before resolutions', async () => {
    const test = await cli([
      'spawn',
      'test',
      './tests',
      'Write unit tests for the checkout module.',
      '--wait',
      '--project',
      'shop',
      ...FAST,
    ]);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout).toMatch(/^test-\w+: test agent on Write unit tests for the checkout module: done\./m);
    expect(test.stdout).toMatch(/saved 1.*\n.*error\s+test-\w+\s+Test failure in Write unit tests/);
    const debug = await cli(['spawn', 'debug', './src', 'Fix the checkout module test failure.', '--wait', '--project', 'shop', ...FAST]);
    expect(debug.code, debug.stderr).toBe(0);
    expect(debug.stdout).toContain('Used 1 memory, first: "Test failure in Write unit tests');

    const errors = json<(MemoryRecord & { resolved: boolean })[]>((await cli(['errors', '--project', 'shop', '--json'])).stdout);
    expect(errors.map((error) => [error.role, error.resolved])).toEqual([
      ['test', false],
      ['debug', true],
    ]);
    const text = await cli(['errors', '--project', 'shop']);
    expect(text.stdout).toMatch(/Unresolved \(1\)[\s\S]*Test failure[\s\S]*Resolved \(1\)[\s\S]*Resolved in Fix the checkout/);
  });

  it('spawn without --wait starts a background agent that records its status and log', async () => {
    const started = await cli(['spawn', 'docs', './docs', 'Document the cart API.', '--project', 'bg', '--json', ...FAST]);
    expect(started.code, started.stderr).toBe(0);
    const { id, pid, log, statusFile } = json<{ id: string; pid: number; log: string; statusFile: string }>(started.stdout);
    expect(id).toMatch(/^docs-/);
    expect(pid).toBeGreaterThan(0);
    let status: AgentStatus | undefined;
    // Until the agent has ended, however long that takes on a loaded machine (the test timeout bounds it).
    while (status?.status !== 'completed' && status?.status !== 'failed') {
      await sleep(50);
      if (existsSync(statusFile)) status = json<AgentStatus>(await readFile(statusFile, 'utf8'));
    }
    expect(status, await readFile(log, 'utf8').catch(() => 'no log')).toMatchObject({
      id,
      pid,
      status: 'completed',
      saved: 1,
      project: 'bg',
    });
    expect(await readFile(log, 'utf8')).toContain('Documented Document the cart API in ./docs/README.md');
    const findings = json<MemoryRecord[]>((await cli(['findings', '--project', 'bg', '--json'])).stdout);
    expect(findings).toEqual([expect.objectContaining({ type: 'doc', agent: id })]);
  });

  it('monitor --once prints the agents and the newest memories of a project', async () => {
    const result = await cli(['monitor', '--project', 'shop', '--once']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('agent-team monitor — project "shop"');
    expect(result.stdout).toMatch(/Agents \(0 running, 2 finished\)/);
    expect(result.stdout).toMatch(/debug-\w+\s+debug\s+completed/);
    expect(result.stdout).toMatch(/Recent memories \(2 of 2\)[\s\S]*Resolved in[\s\S]*Test failure/);
    const empty = await cli(['monitor', '--project', 'nobody', '--once']);
    expect(empty.stdout).toContain('none yet');
  });

  it('rejects an unknown role with the list of roles', async () => {
    const result = await cli(['spawn', 'tester', '.', 'x', '--wait']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown role "tester". Expected one of: orchestrator, test, code, review, docs, debug, custom');
  });
});

describe('--help', () => {
  it('every role command has a description and an Examples section', async () => {
    const commands = [['roles'], ['spawn'], ['queue', 'run'], ['init-config'], ['findings'], ['errors'], ['monitor']];
    const results = await Promise.all(commands.map((command) => cli([...command, '--help'])));
    results.forEach((result, index) => {
      const command = (commands[index] ?? []).join(' ');
      expect(result.code, command).toBe(0);
      expect(result.stdout, command).toContain(`Usage: agent-team ${command}`);
      expect(result.stdout, command).toMatch(/Examples:\n {2}\$ agent-team /);
    });
  });
});
