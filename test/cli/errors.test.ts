import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { ROOT, type CliResult } from '../support/cli.js';
import { runCommand, startCommand } from '../support/cli-in-process.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const STATE = '.ai-agents/state/team-communication.json';
const RUNS = '.agent-runs';
const KNOWN_ROLES = [
  'team_manager',
  'backend_developer',
  'frontend_developer',
  'ios_developer',
  'android_developer',
  'qa_tester',
  'reviewer',
];

const projects: TempProject[] = [];

afterAll(async () => {
  await Promise.all(projects.map((project) => project.cleanup()));
});

async function newProject(): Promise<TempProject> {
  const project = await tempProject('agent-team-errors-');
  projects.push(project);
  return project;
}

/** Every directory and file under `dir`, files with their size, mtime and content hash: any write shows. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      const key = relative(dir, path);
      if (entry.isDirectory()) {
        entries[`${key}/`] = 'directory';
        await walk(path);
        continue;
      }
      const info = await stat(path);
      const hash = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
      entries[key] = `${info.size} bytes, mtime ${info.mtimeMs}, sha256 ${hash}`;
    }
  };
  await walk(dir);
  return Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
}

/** Runs the commands side by side (none of them may write) and returns their results in order. */
function runAll(project: TempProject, commands: readonly (readonly string[])[]): Promise<CliResult[]> {
  return Promise.all(commands.map((args) => runCommand(args, { cwd: project.dir })));
}

function label(args: readonly string[]): string {
  return `agent-team ${args.join(' ')}`;
}

describe('a corrupt state file', () => {
  const commands = [['status'], ['run', '--resume'], ['run', '--feature', 'X', '--time-scale', '0']] as const;

  it('with invalid JSON: status, run --resume and run --feature exit 4 naming the file and the problem, and leave it as it was', async () => {
    const project = await newProject();
    await project.write(STATE, '{"seq": 1, "tasks": [');
    const before = await snapshot(project.dir);

    const results = await runAll(project, commands);

    for (const [index, result] of results.entries()) {
      const command = label(commands[index] ?? []);
      expect(result.code, command).toBe(4);
      expect(result.stderr, command).toContain(`State file ${project.path(STATE)} is corrupted: invalid JSON`);
      expect(result.stderr, command).toContain('It was left untouched');
    }
    expect(await snapshot(project.dir)).toEqual(before);
  });

  it('that is valid JSON but breaks the schema: the same three commands exit 4 naming the file and the dot path', async () => {
    const project = await newProject();
    const first = await runCommand(['run', '--feature', 'Add login', '--time-scale', '0'], { cwd: project.dir });
    expect(first.code, first.stderr).toBe(0);
    const state = JSON.parse(await readFile(project.path(STATE), 'utf8')) as { tasks: { status: string }[] };
    expect(state.tasks.length).toBeGreaterThan(0);
    (state.tasks[0] as { status: string }).status = 'flying';
    await writeFile(project.path(STATE), JSON.stringify(state, null, 2));
    const before = await snapshot(project.dir);

    const results = await runAll(project, commands);

    for (const [index, result] of results.entries()) {
      const command = label(commands[index] ?? []);
      expect(result.code, command).toBe(4);
      expect(result.stderr, command).toContain(
        `State file ${project.path(STATE)} is corrupted: tasks.0.status: Invalid option: expected one of "pending"`,
      );
    }
    // Neither the corrupt file nor the previous run's record was touched, and no new run directory appeared.
    expect(await snapshot(project.dir)).toEqual(before);
  });
});

describe('an invalid orchestrator-config.json', () => {
  const cases = [
    {
      name: 'max_concurrent_tasks: 0',
      edit: (config: { agents: Record<string, unknown>[] }) => {
        (config.agents[1] as Record<string, unknown>)['max_concurrent_tasks'] = 0;
      },
      issue: '  - agents.1.max_concurrent_tasks: Too small: expected number to be >0 (found number 0)',
    },
    {
      name: 'an unknown key',
      edit: (config: { agents: Record<string, unknown>[] }) => {
        (config.agents[1] as Record<string, unknown>)['colour'] = 'red';
      },
      issue: '  - agents.1: unknown key "colour"; expected only id, role, max_concurrent_tasks',
    },
    {
      name: 'no agents',
      edit: (config: { agents?: unknown }) => {
        delete config.agents;
      },
      issue: '  - agents: Invalid input: expected array, received undefined',
    },
    {
      name: 'a JSON syntax error',
      text: '{\n  "agents": [,]\n}\n',
      issue: '  - line 2, column 14: invalid JSON: expected a value (an object, array, string, number, true, false or null), found ","',
    },
  ];

  async function writeConfig(
    project: TempProject,
    input: { edit?: (config: { agents: Record<string, unknown>[] }) => void; text?: string },
  ): Promise<string> {
    if (input.text !== undefined) return project.write('orchestrator-config.json', input.text);
    const config = JSON.parse(await readFile(join(ROOT, 'orchestrator-config.json'), 'utf8')) as { agents: Record<string, unknown>[] };
    input.edit?.(config);
    return project.write('orchestrator-config.json', `${JSON.stringify(config, null, 2)}\n`);
  }

  it.each(cases)(
    'with $name: run and config check exit 2 naming the file, the dot path and what was found; nothing is created',
    async (input) => {
      const project = await newProject();
      const file = await writeConfig(project, input);
      const before = await snapshot(project.dir);
      const commands = [
        ['run', '--feature', 'X', '--time-scale', '0'],
        ['config', 'check'],
      ] as const;

      const results = await runAll(project, commands);

      for (const [index, result] of results.entries()) {
        const command = label(commands[index] ?? []);
        expect(result.code, command).toBe(2);
        expect(result.stderr, command).toContain(`error: ${file} is invalid:\n${input.issue}`);
        expect(result.stdout, command).toBe('');
      }
      expect(existsSync(project.path(STATE))).toBe(false);
      expect(existsSync(project.path(RUNS))).toBe(false);
      expect(await snapshot(project.dir)).toEqual(before);
    },
  );

  it('with an unknown key: the message names the allowed keys instead of "found an object"', async () => {
    const project = await newProject();
    await writeConfig(project, cases[1] as (typeof cases)[number]);
    const result = await runCommand(['config', 'check'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('found an object');
    expect(result.stderr).toMatch(/\bid\b.*\brole\b.*\bmax_concurrent_tasks\b/);
  });
});

describe('a missing prompt file', () => {
  let project: TempProject;
  let agentsFile: string;
  let missing: string;
  let before: Record<string, string>;
  let run: CliResult;

  beforeAll(async () => {
    project = await newProject();
    await cp(join(ROOT, 'prompts'), project.path('prompts'), { recursive: true });
    const text = await readFile(join(ROOT, '.ai-agents', 'config.yml'), 'utf8');
    const original = '  backend_developer:\n    base: base/software-developer.md\n';
    expect(text).toContain(original);
    agentsFile = await project.write(
      '.ai-agents/config.yml',
      text.replace(original, '  backend_developer:\n    base: base/backend-engineer.md\n'),
    );
    missing = project.path('prompts', 'base', 'backend-engineer.md');
    before = await snapshot(project.dir);
    run = await runCommand(['run', '--feature', 'X', '--time-scale', '0'], { cwd: project.dir });
  });

  const expectMessage = (result: CliResult, command: string): void => {
    expect(result.code, command).toBe(2);
    expect(result.stderr, command).toContain(
      `error: ${agentsFile} is invalid:\n  - agents.backend_developer.base: expected a prompt file at ${missing}, found no such file`,
    );
    expect(result.stderr, command).toContain('Create the file, or point agents.backend_developer.base at an existing file');
  };

  it('prompt backend-dev and config check exit 2 naming .ai-agents/config.yml, the field and the missing path', async () => {
    const commands = [
      ['prompt', 'backend-dev'],
      ['config', 'check'],
    ] as const;
    const unchanged = await snapshot(project.dir);
    const results = await runAll(project, commands);
    for (const [index, result] of results.entries()) expectMessage(result, label(commands[index] ?? []));
    expect(await snapshot(project.dir)).toEqual(unchanged);
  });

  it('run exits 2 with the same message', () => {
    expectMessage(run, 'agent-team run');
  });

  it('run creates no state file and no run directory', async () => {
    expect(existsSync(project.path(STATE))).toBe(false);
    expect(existsSync(project.path(RUNS))).toBe(false);
    expect(await snapshot(project.dir)).toEqual(before);
  });
});

describe('an unknown role', () => {
  const commands = [
    ['config', 'check'],
    ['run', '--feature', 'X', '--time-scale', '0'],
    ['prompt', 'backend-dev'],
  ] as const;

  async function expectUnknownRole(input: {
    project: TempProject;
    configFile: string;
    index: number;
    role: string;
    agentsFile: string;
    known: readonly string[];
  }): Promise<void> {
    const before = await snapshot(input.project.dir);
    const results = await runAll(input.project, commands);
    for (const [index, result] of results.entries()) {
      const command = label(commands[index] ?? []);
      expect(result.code, command).toBe(2);
      expect(result.stderr, command).toContain(
        `error: ${input.configFile} is invalid:\n  - agents.${input.index}.role: unknown role "${input.role}": ` +
          `expected one of ${input.known.join(', ')} (defined in ${input.agentsFile})`,
      );
    }
    expect(existsSync(input.project.path(STATE))).toBe(false);
    expect(await snapshot(input.project.dir)).toEqual(before);
  }

  it('in the project orchestrator-config.json: exit 2 naming the file, agents.N.role, the role and the known roles', async () => {
    const project = await newProject();
    const config = JSON.parse(await readFile(join(ROOT, 'orchestrator-config.json'), 'utf8')) as { agents: { role: string }[] };
    (config.agents[2] as { role: string }).role = 'designer';
    const configFile = await project.write('orchestrator-config.json', JSON.stringify(config, null, 2));
    await expectUnknownRole({
      project,
      configFile,
      index: 2,
      role: 'designer',
      agentsFile: join(ROOT, '.ai-agents', 'config.yml'),
      known: KNOWN_ROLES,
    });
  });

  it("missing from the project's own .ai-agents/config.yml: the built-in roster's agent is named with its file", async () => {
    const project = await newProject();
    const document = parseDocument(await readFile(join(ROOT, '.ai-agents', 'config.yml'), 'utf8'));
    expect(document.deleteIn(['agents', 'reviewer'])).toBe(true);
    const agentsFile = await project.write('.ai-agents/config.yml', String(document));
    await expectUnknownRole({
      project,
      configFile: `${join(ROOT, 'orchestrator-config.json')} (built-in default)`,
      index: 4,
      role: 'reviewer',
      agentsFile,
      known: KNOWN_ROLES.filter((role) => role !== 'reviewer'),
    });
  });
});

describe('bad usage of run', () => {
  it('explains each mistake with exit 2 and writes nothing', async () => {
    const project = await newProject();
    const commands = [
      ['run'],
      ['run', '--resume', '--seed', '3'],
      ['run', '--resume'],
      ['run', '--feature', 'X', '--seed', 'abc'],
      ['run', '--feature', 'X', '--experiments', 'elsewhere'],
    ] as const;

    const [noFeature, resumeWithSeed, nothingToResume, badSeed, experimentsWithoutUi] = await runAll(project, commands);

    for (const [index, result] of [noFeature, resumeWithSeed, nothingToResume, badSeed, experimentsWithoutUi].entries())
      expect(result?.code, label(commands[index] ?? [])).toBe(2);
    expect(experimentsWithoutUi?.stderr).toContain(
      '--experiments adds experiments to the dashboard of --ui; add --ui, or drop --experiments.',
    );
    expect(noFeature?.stderr).toContain(
      'Missing --feature. Example: agent-team run --feature "Add user authentication with email and password"',
    );
    expect(resumeWithSeed?.stderr).toContain(
      '--resume continues the run as it was started; drop --seed (only --budget-usd, --time-scale and --processes may change).',
    );
    expect(nothingToResume?.stderr).toContain(`Nothing to resume: ${project.path(STATE)} does not exist.`);
    expect(badSeed?.stderr).toContain(`option '--seed <n>' argument 'abc' is invalid. expected an integer, found "abc"`);
    expect(await snapshot(project.dir)).toEqual({});
  });
});

describe('a new run while the previous one is interrupted', () => {
  let project: TempProject;
  let interruptedRunDir: string;

  beforeAll(async () => {
    project = await newProject();
    const running = startCommand(['run', '--feature', 'Add login', '--time-scale', '0.05'], { cwd: project.dir });
    await running.waitForOutput(/finished T1/);
    running.interrupt();
    const interrupted = await running.done;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const record = /^ {2}record {4}(.+)$/m.exec(interrupted.stdout);
    expect(record).not.toBeNull();
    interruptedRunDir = (record as RegExpExecArray)[1] as string;
  });

  it('is refused with exit 2, pointing at --resume and --force, and changes nothing', async () => {
    const before = await snapshot(project.dir);
    const result = await runCommand(['run', '--feature', 'Add logout', '--time-scale', '0'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^error: Run \S+ in .+ is interrupted\. Continue it with `agent-team run --resume`, or start over with `--force`/,
    );
    expect(result.stderr).toContain(`in ${project.path(STATE)} is interrupted`);
    expect(result.stderr).toContain(`its record stays in ${interruptedRunDir}`);
    expect(await snapshot(project.dir)).toEqual(before);
  });

  it('starts with --force, and the interrupted run keeps its record in its run directory', async () => {
    const oldState = JSON.parse(await readFile(join(interruptedRunDir, 'team-communication.json'), 'utf8')) as {
      run: { id: string; status: string };
    };
    expect(oldState.run.status).toBe('interrupted');

    const result = await runCommand(['run', '--feature', 'Add logout', '--time-scale', '0', '--force', '--json'], { cwd: project.dir });

    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as { runId: string; status: string; files: { dir: string } };
    expect(output.status).toBe('done');
    expect(output.runId).not.toBe(oldState.run.id);
    expect(output.files.dir).not.toBe(interruptedRunDir);
    expect((await readdir(project.path(RUNS))).sort()).toEqual([oldState.run.id, output.runId].sort());
    const kept = JSON.parse(await readFile(join(interruptedRunDir, 'team-communication.json'), 'utf8')) as {
      run: { id: string; status: string; feature: string };
    };
    expect(kept.run).toMatchObject({ id: oldState.run.id, status: 'interrupted', feature: 'Add login' });
    const summary = JSON.parse(await readFile(join(interruptedRunDir, 'summary.json'), 'utf8')) as { status: string };
    expect(summary.status).toBe('interrupted');
    expect((await readdir(interruptedRunDir)).sort()).toEqual([
      'agents',
      'cost-by-agent.svg',
      'plan.svg',
      'report.md',
      'run_ledger.jsonl',
      'summary.json',
      'team-communication.json',
      'timeline.svg',
    ]);
    const live = JSON.parse(await readFile(project.path(STATE), 'utf8')) as { run: { id: string; feature: string } };
    expect(live.run).toMatchObject({ id: output.runId, feature: 'Add logout' });
  });
});
