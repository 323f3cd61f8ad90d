import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli-in-process.js';
import { BIN, ensureBuilt, ROOT, startCli, type CliResult } from '../support/cli.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const AGENTS = join(ROOT, 'test', 'fixtures', 'batch-agents');
const projects: TempProject[] = [];

async function newProject(): Promise<TempProject> {
  const project = await tempProject('agent-team-batch-cli-');
  projects.push(project);
  return project;
}

beforeAll(() => {
  ensureBuilt();
});

afterAll(async () => {
  await Promise.all(projects.map((project) => project.cleanup()));
});

const TASKS = [
  { agent: 'sim', prompt: 'Name a planet.', tag: 'planet' },
  { agent: 'sim:claude-haiku-4-5', prompt: 'Write a haiku about queues.' },
  {
    agent: 'sim',
    prompt: 'Answer as JSON.',
    tag: 'structured',
    schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
  },
];

describe('batch run, collect and status', () => {
  let project: TempProject;
  let runResult: CliResult;
  let runDir: string;

  beforeAll(async () => {
    project = await newProject();
    await project.write('tasks.json', JSON.stringify(TASKS));
    runResult = await runCommand(['batch', 'run', '--tasks', 'tasks.json', '--concurrency', '2', '--run-dir', 'runs'], {
      cwd: project.dir,
    });
    runDir = runResult.stdout.trim();
  });

  it('prints only the new run directory on stdout, progress on stderr, and exits 0', () => {
    expect(runResult.code).toBe(0);
    expect(runResult.stdout).toMatch(/^\/.+[/\\]runs[/\\]\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\n$/);
    expect(runDir.startsWith(project.dir) || runDir.startsWith(join('/private', project.dir))).toBe(true);
    expect(existsSync(join(runDir, 'summary.json'))).toBe(true);
    expect(runResult.stderr).toContain('[3/3] completed');
    expect(runResult.stderr).toContain('3 job(s): 3 completed');
  });

  it('collect writes combined.json and prints its path', async () => {
    const collected = await runCommand(['batch', 'collect', '--run-dir', runDir], { cwd: project.dir });
    expect(collected.code).toBe(0);
    expect(collected.stdout).toBe(`${join(runDir, 'combined.json')}\n`);
    const combined = JSON.parse(await readFile(join(runDir, 'combined.json'), 'utf8')) as { tag: string; output: string }[];
    expect(combined.map((entry) => entry.tag)).toEqual(['planet', 'sim-claude-haiku-4-5-2', 'structured']);
    expect(JSON.parse(combined[2]?.output ?? '')).toHaveProperty('ok');
  });

  it('status --json reports the counts and no running job', async () => {
    const shown = await runCommand(['batch', 'status', '--run-dir', runDir, '--json'], { cwd: project.dir });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      runDir,
      status: 'finished',
      active: false,
      total: 3,
      byStatus: { completed: 3, failed: 0, timeout: 0, cancelled: 0, running: 0, pending: 0 },
      running: [],
    });
  });

  it('run --json prints the run directory and summary as JSON only', async () => {
    const json = await runCommand(['batch', 'run', '--tasks', 'tasks.json', '--run-dir', 'runs', '--json'], { cwd: project.dir });
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const parsed = JSON.parse(json.stdout) as { runDir: string; summary: { total: number; byStatus: { completed: number } } };
    expect(parsed.runDir).not.toBe(runDir);
    expect(parsed.summary).toMatchObject({ total: 3, byStatus: { completed: 3 } });
  });
});

describe('batch --help', () => {
  const commands = [['batch'], ['batch', 'run'], ['batch', 'collect'], ['batch', 'status']];
  const helps = new Map<string, CliResult>();

  beforeAll(async () => {
    const results = await Promise.all(commands.map((command) => runCommand([...command, '--help'], { cwd: ROOT })));
    commands.forEach((command, index) => {
      helps.set(command.join(' '), results[index] as CliResult);
    });
  });

  it.each(commands.map((command) => ({ command: command.join(' ') })))(
    'agent-team $command --help shows usage and examples',
    ({ command }) => {
      const help = helps.get(command) as CliResult;
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: agent-team ${command} `));
      expect(help.stdout).toContain('Examples:\n  $ agent-team batch');
    },
  );
});

describe('bad input', () => {
  it('exits 2 naming the file, the task index and the field, and creates nothing', async () => {
    const project = await newProject();
    const file = await project.write(
      'tasks.json',
      JSON.stringify([
        { agent: 'sim', prompt: 'ok' },
        { agent: 'sim', prompt: 'slow', timeout: 'soon' },
      ]),
    );
    const bad = await runCommand(['batch', 'run', '--tasks', 'tasks.json', '--run-dir', 'runs'], { cwd: project.dir });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain(file);
    expect(bad.stderr).toMatch(/\[1\]\.timeout: .*expected number/);
    expect(existsSync(project.path('runs'))).toBe(false);
  });

  it('exits 2 for an unsafe tag and for no source of tasks', async () => {
    const project = await newProject();
    await project.write('tasks.json', JSON.stringify([{ agent: 'sim', prompt: 'x', tag: '../x' }]));
    const unsafe = await runCommand(['batch', 'run', '--tasks', 'tasks.json', '--run-dir', 'runs'], { cwd: project.dir });
    expect(unsafe.code).toBe(2);
    expect(unsafe.stderr).toMatch(/\[0\]\.tag: a tag may not contain/);
    const none = await runCommand(['batch', 'run'], { cwd: project.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--tasks tasks.json, --csv tasks.csv, or --stdin');
    expect(existsSync(project.path('runs'))).toBe(false);
  });
});

describe('stdin and CSV', () => {
  it('runs one job per stdin line with --agent', async () => {
    const project = await newProject();
    const ran = spawnSync(process.execPath, [BIN, 'batch', 'run', '--stdin', '--agent', 'sim', '--run-dir', 'runs'], {
      cwd: project.dir,
      input: 'First prompt\nSecond, with a comma\n',
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(ran.status).toBe(0);
    const runDir = ran.stdout.trim();
    expect(readdirSync(join(runDir, 'jobs')).sort()).toEqual(['sim-1.json', 'sim-1.out', 'sim-2.json', 'sim-2.out']);
  });

  it('runs a CSV file whose prompts hold commas and newlines', async () => {
    const project = await newProject();
    await project.write('prompts.csv', 'agent,prompt,tag\nsim,"Compare A, B\nand C",compare\n');
    const ran = await runCommand(['batch', 'run', '--csv', 'prompts.csv', '--run-dir', 'runs'], { cwd: project.dir });
    expect(ran.code).toBe(0);
    const tasks = JSON.parse(await readFile(join(ran.stdout.trim(), 'tasks.json'), 'utf8')) as unknown;
    expect(tasks).toEqual([{ agent: 'sim', prompt: 'Compare A, B\nand C', tag: 'compare' }]);
  });
});

describe('Ctrl-C and resume', () => {
  it('exits 130 with cancelled jobs recorded, then --resume finishes only those', async () => {
    const project = await newProject();
    const gate = project.path('gate');
    const agent = `cli:${JSON.stringify([process.execPath, join(AGENTS, 'gate-agent.mjs'), gate, '{prompt}'])}`;
    await project.write(
      'tasks.json',
      JSON.stringify([
        { agent: 'sim', prompt: 'quick', tag: 'quick' },
        ...[1, 2, 3].map((n) => ({ agent, prompt: 'wait', tag: `gated-${n}` })),
      ]),
    );
    const batch = startCli(['batch', 'run', '--tasks', 'tasks.json', '--concurrency', '2', '--run-dir', 'runs'], { cwd: project.dir });
    // The path is printed as soon as the run directory exists; wait until two gated jobs are running.
    await batch.waitForOutput(/\n$/);
    const runs = project.path('runs');
    const printed = join(runs, readdirSync(runs)[0] ?? '');
    while (!existsSync(join(printed, 'jobs', 'gated-2.json'))) await sleep(50);
    batch.kill('SIGINT');
    const interrupted = await batch.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toBe(`${printed}\n`);
    const summary = JSON.parse(await readFile(join(printed, 'summary.json'), 'utf8')) as {
      status: string;
      byStatus: Record<string, number>;
    };
    expect(summary).toMatchObject({ status: 'interrupted', byStatus: { completed: 1, cancelled: 3 } });

    await writeFile(gate, '');
    const resumed = await runCommand(['batch', 'run', '--resume', '--run-dir', printed], { cwd: project.dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe(`${printed}\n`);
    expect(resumed.stderr).toContain('Resuming 3 job(s) of 4');
    const ledger = (await readFile(join(printed, 'run_ledger.jsonl'), 'utf8')).trim().split('\n');
    expect(ledger).toHaveLength(7);
  });
});
