import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type CliResult } from '../support/cli.js';
import { runCommand, startCommand } from '../support/cli-in-process.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const DEFAULT_AGENTS = ['manager', 'backend-dev', 'frontend-dev', 'qa-tester', 'reviewer'];
const ANSI = /\u001b\[/;

const projects: TempProject[] = [];

async function newProject(): Promise<TempProject> {
  const project = await tempProject('agent-team-commands-');
  projects.push(project);
  return project;
}

/** Every path under `dir`, relative and sorted; directories end with `/`. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .map((entry) => {
      const path = join(entry.parentPath, entry.name).slice(dir.length + 1);
      return entry.isDirectory() ? `${path}/` : path;
    })
    .sort();
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// One finished run shared by the read-only checks: `ledger --follow` is started
// first (before any state exists), then `run` without --json and without NO_COLOR.
let shared: TempProject;
let follow: CliResult;
let textRun: CliResult;
let recordDir: string;

beforeAll(async () => {
  shared = await newProject();
  const follower = startCommand(['ledger', '--follow'], { cwd: shared.dir });
  let followerEnded = false;
  void follower.done.then(() => {
    followerEnded = true;
  });
  // The follower has looked for the ledger and found none; it must keep waiting for it.
  for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  expect(followerEnded, 'ledger --follow exited before the ledger existed').toBe(false);
  textRun = await runCommand(['run', '--feature', 'Add login', '--time-scale', '0'], { cwd: shared.dir });
  follow = await follower.done;
  recordDir = /^ {2}record {4}(.+)$/m.exec(textRun.stdout)?.[1] ?? '';
});

afterAll(async () => {
  await Promise.all(projects.map((project) => project.cleanup()));
});

describe('--help', () => {
  const commands = [
    [],
    ['run'],
    ['plan'],
    ['status'],
    ['ledger'],
    ['agent'],
    ['prompt'],
    ['config'],
    ['config', 'check'],
    ['config', 'schema'],
  ];
  const helps = new Map<string, CliResult>();

  beforeAll(async () => {
    const results = await Promise.all(commands.map((command) => runCommand([...command, '--help'], { cwd: shared.dir })));
    commands.forEach((command, index) => {
      helps.set(command.join(' '), results[index] as CliResult);
    });
  });

  it.each(commands.map((command) => ({ command: ['agent-team', ...command].join(' ') })))(
    '$command --help exits 0 and prints usage',
    ({ command }) => {
      const help = helps.get(command.replace(/^agent-team ?/, '')) as CliResult;
      expect(help.code).toBe(0);
      expect(help.stderr).toBe('');
      expect(help.stdout).toMatch(new RegExp(`^Usage: ${command} `));
    },
  );

  it.each(
    commands.filter((command) => command.join(' ') !== 'config').map((command) => ({ command: ['agent-team', ...command].join(' ') })),
  )('$command --help shows an Examples: section with a command line', ({ command }) => {
    const help = helps.get(command.replace(/^agent-team ?/, '')) as CliResult;
    expect(help.stdout).toMatch(/\nExamples:\n {2}\$ agent-team \S/);
  });

  it('agent-team config --help shows an Examples: section', () => {
    expect(helps.get('config')?.stdout).toContain('Examples:');
  });

  it("the program's help lists every exit code", () => {
    const help = helps.get('')?.stdout ?? '';
    expect(help).toContain('Exit codes:');
    for (const code of [0, 1, 2, 3, 4, 5, 130]) expect(help).toMatch(new RegExp(`^ {2}${code} +\\S`, 'm'));
  });
});

describe('run', () => {
  it('--json prints one JSON document with status, files and summary, and nothing else', async () => {
    const project = await newProject();
    const result = await runCommand(['run', '--feature', 'Add a shopping cart', '--time-scale', '0', '--json'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const output = JSON.parse(result.stdout) as {
      status: string;
      files: { dir: string; summary: string };
      summary: { tasks: { total: number }; costUsd: number };
    };
    expect(output.status).toBe('done');
    expect(existsSync(output.files.dir)).toBe(true);
    expect(JSON.parse(await readFile(output.files.summary, 'utf8'))).toEqual(output.summary);
    expect(output.summary.tasks.total).toBeGreaterThan(0);
    expect(output.summary.costUsd).toBeGreaterThan(0);
  });

  it('without --json on a piped terminal: plain lines, simulated first, then the summary block', () => {
    expect(textRun.code, textRun.stderr).toBe(0);
    expect(textRun.stderr).toBe('');
    expect(textRun.stdout).not.toMatch(ANSI);
    const lines = textRun.stdout.split('\n');
    expect(lines[0]).toMatch(/^agent-team: simulated run: sim provider, seed \d+, time scale 0; no model is called/);
    expect(textRun.stdout).toMatch(/^Run \S+: done — all tasks done$/m);
    expect(textRun.stdout).toMatch(/^ {2}tasks {5}\d+ \(\d+ done\)$/m);
    expect(textRun.stdout).toMatch(/^ {2}blockers {2}\d+ raised, \d+ resolved/m);
    expect(textRun.stdout).toMatch(
      /^ {2}tokens {4}\d+ \(input \d+, output \d+, cache read \d+, cache write \d+\) in \d+ calls \(simulated\)$/m,
    );
    expect(textRun.stdout).toMatch(/^ {2}cost {6}\$\d+\.\d{4} \(simulated\) \(top tier alone: \$\d+\.\d{4}\)$/m);
    expect(textRun.stdout).toMatch(/^ {2}time {6}\d+\.\d s wall, \d+\.\d s model time \(simulated\)$/m);
    expect(recordDir.startsWith(shared.path('.agent-runs'))).toBe(true);
  });

  it('leaves exactly the state, ledger, summary, report and one transcript per agent that made calls in the run directory', async () => {
    const summary = JSON.parse(await readFile(join(recordDir, 'summary.json'), 'utf8')) as { byAgent: Record<string, unknown> };
    const callers = Object.keys(summary.byAgent).sort();
    expect(callers).toEqual([...DEFAULT_AGENTS].sort());
    expect(await listFiles(recordDir)).toEqual(
      [
        'agents/',
        ...callers.map((id) => `agents/${id}.jsonl`),
        'cost-by-agent.svg',
        'plan.svg',
        'report.md',
        'run_ledger.jsonl',
        'summary.json',
        'team-communication.json',
        'timeline.svg',
      ].sort(),
    );
  });
});

describe('status', () => {
  it('prints tasks by status, agents and open blockers', async () => {
    const result = await runCommand(['status'], { cwd: shared.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Run \S+: done \(simulated\)$/m);
    expect(result.stdout).toMatch(/^Tasks\n {2}done +\d+ {2}T1@backend-dev /m);
    expect(result.stdout).toMatch(/^Agents$/m);
    for (const id of DEFAULT_AGENTS) expect(result.stdout).toMatch(new RegExp(`^ {2}${id} +\\S+ +\\S+ +\\d+ calls`, 'm'));
    expect(result.stdout).toMatch(/^Open blockers: 0$/m);
  });

  it('--json gives the same as one JSON document', async () => {
    const result = await runCommand(['status', '--json'], { cwd: shared.dir });
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as {
      run: { status: string };
      tasks: Record<string, string[]>;
      agents: { id: string; calls: number }[];
      openBlockers: unknown[];
    };
    expect(output.run.status).toBe('done');
    expect(Object.keys(output.tasks)).toEqual(['done']);
    expect(output.tasks['done']).toContain('T1');
    expect(output.agents.map((agent) => agent.id)).toEqual(DEFAULT_AGENTS);
    expect(output.agents.every((agent) => agent.calls > 0)).toBe(true);
    expect(output.openBlockers).toEqual([]);
  });
});

describe('ledger', () => {
  it('prints one line per event', async () => {
    const result = await runCommand(['ledger'], { cwd: shared.dir });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.every((line) => /^\d{2}:\d{2}:\d{2} \S/.test(line))).toBe(true);
    expect(lines[0]).toMatch(/ run \S+ started: Add login$/);
    expect(lines.at(-1)).toMatch(/ run done: all tasks done$/);
    expect(lines.some((line) => / backend-dev finished T1$/.test(line))).toBe(true);
  });

  it('--json prints one JSON object per line, the ledger file as it is', async () => {
    const result = await runCommand(['ledger', '--json'], { cwd: shared.dir });
    expect(result.code, result.stderr).toBe(0);
    const entries = jsonLines(result.stdout);
    expect(entries.map((entry) => entry['type'])).toContain('model-call');
    expect(entries[0]?.['type']).toBe('run-start');
    expect(entries.filter((entry) => entry['type'] === 'run-end')).toMatchObject([{ status: 'done' }]);
    expect(entries.every((entry) => typeof entry['seq'] === 'number' && typeof entry['at'] === 'string')).toBe(true);
    expect(entries).toEqual(jsonLines(await readFile(shared.path('.ai-agents/state/run_ledger.jsonl'), 'utf8')));
  });

  it('--follow started before the run waits for the ledger, prints the events and exits 0 when the run ends', async () => {
    expect(follow.signal).toBeNull();
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stderr).toBe('');
    const printed = await runCommand(['ledger'], { cwd: shared.dir });
    expect(follow.stdout).toBe(printed.stdout);
  });
});

describe('prompt', () => {
  const promptFile = async (path: string): Promise<string> => (await readFile(join(ROOT, 'prompts', path), 'utf8')).trim();

  it('backend-dev: base, platform and worker protocol, in that order; --json gives the parts and a token count', async () => {
    const [text, json] = await Promise.all([
      runCommand(['prompt', 'backend-dev'], { cwd: shared.dir }),
      runCommand(['prompt', 'backend-dev', '--json'], { cwd: shared.dir }),
    ]);
    expect(text.code, text.stderr).toBe(0);
    const positions = await Promise.all(
      ['base/software-developer.md', 'platforms/web/backend-developer.md', 'protocol/worker.md'].map(async (path) =>
        text.stdout.indexOf(await promptFile(path)),
      ),
    );
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text.stdout).toContain('You are agent `backend-dev` with role `backend_developer`.');

    expect(json.code, json.stderr).toBe(0);
    const output = JSON.parse(json.stdout) as { agentId: string; parts: string[]; tokens: number; text: string };
    expect(output.agentId).toBe('backend-dev');
    expect(output.parts).toEqual([
      'base/software-developer.md',
      'platforms/web/backend-developer.md',
      'protocol/worker.md',
      'team context',
    ]);
    expect(output.tokens).toBeGreaterThan(0);
    expect(`${output.text}\n`).toBe(text.stdout);
  });

  it('manager uses protocol/manager.md', async () => {
    const result = await runCommand(['prompt', 'manager', '--json'], { cwd: shared.dir });
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as { parts: string[]; text: string };
    expect(output.parts).toEqual(['base/manager.md', 'protocol/manager.md', 'team context']);
    expect(output.text).toContain(await promptFile('protocol/manager.md'));
    expect(output.text).not.toContain(await promptFile('protocol/worker.md'));
  });
});

describe('config', () => {
  it(
    'schema prints a JSON Schema of orchestrator-config.json, --target agents one of .ai-agents/config.yml; ' +
      'check --json lists the five default agents',
    async () => {
      const project = await newProject();
      const [orchestrator, agents, check] = await Promise.all([
        runCommand(['config', 'schema'], { cwd: project.dir }),
        runCommand(['config', 'schema', '--target', 'agents'], { cwd: project.dir }),
        runCommand(['config', 'check', '--json'], { cwd: project.dir }),
      ]);
      for (const result of [orchestrator, agents, check]) expect(result.code, result.stderr).toBe(0);
      const orchestratorSchema = JSON.parse(orchestrator.stdout) as { $schema: string; type: string; properties: Record<string, unknown> };
      expect(orchestratorSchema.$schema).toMatch(/json-schema\.org/);
      expect(orchestratorSchema.type).toBe('object');
      expect(orchestratorSchema.properties).toHaveProperty('agents');
      expect(orchestratorSchema.properties).toHaveProperty('coordination');
      const agentsSchema = JSON.parse(agents.stdout) as { $schema: string; properties: Record<string, unknown> };
      expect(agentsSchema.$schema).toMatch(/json-schema\.org/);
      expect(agentsSchema.properties).toHaveProperty('agents');
      expect(agentsSchema.properties).toHaveProperty('tiers');
      const report = JSON.parse(check.stdout) as {
        ok: boolean;
        orchestratorConfig: string;
        agents: { id: string; prompt: string[]; promptTokens: number }[];
      };
      expect(report.ok).toBe(true);
      expect(report.orchestratorConfig).toBe('built-in default');
      expect(report.agents.map((agent) => agent.id)).toEqual(DEFAULT_AGENTS);
      expect(report.agents.every((agent) => agent.promptTokens > 0 && agent.prompt.length >= 3)).toBe(true);
      expect(await listFiles(project.dir)).toEqual([]);
    },
  );
});

describe('plan', () => {
  it('--json prints the tasks and a forecast, and writes nothing into the project', async () => {
    const project = await newProject();
    const result = await runCommand(['plan', '--feature', 'Add a shopping cart', '--json'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as {
      feature: string;
      tasks: { id: string; role: string; dependsOn: string[] }[];
      forecast: { calls: number; tokens: { total: number }; costUsd: number };
    };
    expect(output.feature).toBe('Add a shopping cart');
    expect(output.tasks.length).toBeGreaterThan(0);
    const ids = output.tasks.map((task) => task.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const task of output.tasks) {
      expect(task.id).toMatch(/^T\d+$/);
      expect(['backend_developer', 'frontend_developer', 'qa_tester', 'reviewer']).toContain(task.role);
      for (const dependency of task.dependsOn) expect(ids).toContain(dependency);
    }
    expect(output.forecast.calls).toBeGreaterThan(0);
    expect(output.forecast.tokens.total).toBeGreaterThan(0);
    expect(output.forecast.costUsd).toBeGreaterThan(0);
    expect(await listFiles(project.dir)).toEqual([]);
  });
});
