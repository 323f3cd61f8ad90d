import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { MAX_TIMER_SECONDS, numberArgument } from '../../src/cli/number-argument.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { runCommand } from '../support/cli-in-process.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

/** A command line with one bad value: the option as commander names it, and the words that say what is allowed. */
interface BadFlag {
  args: string[];
  option: string;
  value: string;
  allowed: string;
}

const ALLOWED = {
  seed: 'expected an integer',
  timeScale: 'expected a number from 0 to 100',
  timeout: `expected a number of seconds from 0.001 to ${MAX_TIMER_SECONDS}`,
};

// Every numeric or enumerated option of every command, each with values just out of range or not numbers at all.
const BAD_FLAGS: BadFlag[] = [
  ...['x', '1.5', '1e20'].map((value) => ({
    args: ['run', '-f', 'x', '--seed', value],
    option: '--seed <n>',
    value,
    allowed: ALLOWED.seed,
  })),
  ...['0', '-1', 'abc'].map((value) => ({
    args: ['run', '-f', 'x', '--budget-usd', value],
    option: '--budget-usd <amount>',
    value,
    allowed: 'expected a number >= 0.000001',
  })),
  ...['-1', '101', ''].map((value) => ({
    args: ['run', '-f', 'x', '--time-scale', value],
    option: '--time-scale <factor>',
    value,
    allowed: ALLOWED.timeScale,
  })),
  ...['2', '-0.1', '1,5'].map((value) => ({
    args: ['run', '-f', 'x', '--blocker-rate', value],
    option: '--blocker-rate <rate>',
    value,
    allowed: 'expected a number from 0 to 1',
  })),
  ...['0', '10001', '2.5'].map((value) => ({
    args: ['run', '-f', 'x', '--plan-tasks', value],
    option: '--plan-tasks <n>',
    value,
    allowed: 'expected an integer from 1 to 10000',
  })),
  {
    args: ['run', '-f', 'x', '--provider', 'bogus'],
    option: '--provider <name>',
    value: 'bogus',
    allowed: 'Allowed choices are sim, anthropic',
  },
  { args: ['plan', '-f', 'x', '--seed', 'seven'], option: '--seed <n>', value: 'seven', allowed: ALLOWED.seed },
  {
    args: ['plan', '-f', 'x', '--blocker-rate', '1.5'],
    option: '--blocker-rate <rate>',
    value: '1.5',
    allowed: 'expected a number from 0 to 1',
  },
  {
    args: ['config', 'schema', '--target', 'bogus'],
    option: '--target <file>',
    value: 'bogus',
    allowed: 'Allowed choices are orchestrator, agents',
  },
  ...['0', '1.5'].map((value) => ({
    args: ['batch', 'run', '--tasks', 't.json', '--concurrency', value],
    option: '--concurrency <n>',
    value,
    allowed: 'expected an integer >= 1',
  })),
  ...['0', '3000000'].map((value) => ({
    args: ['batch', 'run', '--tasks', 't.json', '--timeout', value],
    option: '--timeout <seconds>',
    value,
    allowed: `expected a number of seconds > 0 and <= ${MAX_TIMER_SECONDS}`,
  })),
  {
    args: ['batch', 'run', '--tasks', 't.json', '--retries', '-1'],
    option: '--retries <n>',
    value: '-1',
    allowed: 'expected an integer >= 0',
  },
  { args: ['spawn', 'code', '.', 'task', '--seed', '-1'], option: '--seed <n>', value: '-1', allowed: 'expected an integer >= 0' },
  {
    args: ['spawn', 'code', '.', 'task', '--time-scale', '101'],
    option: '--time-scale <factor>',
    value: '101',
    allowed: ALLOWED.timeScale,
  },
  { args: ['queue', 'run', 'a.json', '--workers', '0'], option: '-w, --workers <n>', value: '0', allowed: 'expected an integer >= 1' },
  ...['0', '3000000'].map((value) => ({
    args: ['queue', 'run', 'a.json', '--timeout', value],
    option: '-t, --timeout <seconds>',
    value,
    allowed: ALLOWED.timeout,
  })),
  { args: ['queue', 'run', 'a.json', '--seed', '0.5'], option: '--seed <n>', value: '0.5', allowed: 'expected an integer >= 0' },
  { args: ['queue', 'run', 'a.json', '--time-scale', '-2'], option: '--time-scale <factor>', value: '-2', allowed: ALLOWED.timeScale },
  ...['65536', '-1', 'http'].map((value) => ({
    args: ['serve', '--port', value],
    option: '--port <n>',
    value,
    allowed: 'expected an integer from 0 to 65535',
  })),
  ...['65536', 'http'].map((value) => ({
    args: ['run', '--feature', 'x', '--ui-port', value],
    option: '--ui-port <n>',
    value,
    allowed: 'expected an integer from 0 to 65535',
  })),
  { args: ['serve', '--max-body-bytes', '10'], option: '--max-body-bytes <n>', value: '10', allowed: 'expected an integer >= 1024' },
  { args: ['serve', '--time-scale', '101'], option: '--time-scale <factor>', value: '101', allowed: ALLOWED.timeScale },
  { args: ['findings', '--limit', '0'], option: '-n, --limit <n>', value: '0', allowed: 'expected an integer >= 1' },
  { args: ['findings', '--type', 'bogus'], option: '--type <type>', value: 'bogus', allowed: 'Allowed choices are fact, decision' },
  { args: ['errors', '--limit', 'ten'], option: '-n, --limit <n>', value: 'ten', allowed: 'expected an integer >= 1' },
  ...['0.1', '3000000'].map((value) => ({
    args: ['monitor', '--interval', value],
    option: '-i, --interval <seconds>',
    value,
    allowed: `expected a number of seconds from 0.2 to ${MAX_TIMER_SECONDS}`,
  })),
  { args: ['monitor', '--limit', '-3'], option: '-n, --limit <n>', value: '-3', allowed: 'expected an integer >= 1' },
  { args: ['graph', '--format', 'png'], option: '--format <format>', value: 'png', allowed: 'Allowed choices are mermaid, dot, svg' },
  ...['0', '65'].map((value) => ({
    args: ['experiment', 'run', 'e.yml', '--concurrency', value],
    option: '--concurrency <n>',
    value,
    allowed: 'expected an integer from 1 to 64',
  })),
  {
    args: ['experiment', 'report', '.', '--resamples', '99'],
    option: '--resamples <n>',
    value: '99',
    allowed: 'expected an integer from 100 to 100000',
  },
  {
    args: ['experiment', 'plan', 'e.yml', '--pilot-seeds', '1'],
    option: '--pilot-seeds <n>',
    value: '1',
    allowed: 'expected an integer from 2 to 100',
  },
  {
    args: ['experiment', 'plan', 'e.yml', '--detect', '0'],
    option: '--detect <difference>',
    value: '0',
    allowed: 'expected a number >= 0.000001',
  },
  {
    args: ['experiment', 'plan', 'e.yml', '--metric', 'luck'],
    option: '--metric <column>',
    value: 'luck',
    allowed: 'Allowed choices are costUsd, totalTokens',
  },
];

// Commands with a subcommand: their name is two words.
const GROUPS = new Set(['batch', 'queue', 'config', 'experiment']);

function commandOf(args: readonly string[]): string {
  return args.slice(0, GROUPS.has(args[0] ?? '') ? 2 : 1).join(' ');
}

let project: TempProject;

beforeAll(async () => {
  project = await tempProject('agent-team-flags-');
});

afterAll(async () => {
  await project.cleanup();
});

describe('a bad flag value', () => {
  it.each(BAD_FLAGS.map((bad) => [bad.args.join(' '), bad] as const))(
    'agent-team %s: exit 2 naming the option, value and range',
    async (_line, bad) => {
      const result = await runCommand(bad.args, { cwd: project.dir });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`error: option '${bad.option}' argument '${bad.value}' is invalid.`);
      expect(result.stderr).toContain(bad.allowed);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stdout).toBe('');
    },
  );

  it('the table covers every option of every command that takes a number or a choice', () => {
    const program = buildProgram({ terminal: bufferTerminal(), cwd: project.dir, result: { code: 0 } });
    const declared: string[] = [];
    const walk = (command: Command, path: string[]): void => {
      for (const option of command.options) {
        const checked = option.parseArg !== undefined || (option.argChoices?.length ?? 0) > 0;
        if (checked) declared.push(`${path.join(' ')} ${option.flags}`);
      }
      for (const sub of command.commands) walk(sub, [...path, sub.name()]);
    };
    walk(program, []);
    const covered = new Set(BAD_FLAGS.map((bad) => `${commandOf(bad.args)} ${bad.option}`));
    // Free text collected per use, checked by the command: run ids against the runs it finds, webhook URLs and callback
    // hosts with the environment's, experiment folders on the disk.
    const freeText = [
      'clean --run <id>',
      'serve --webhook <url>',
      'serve --callback-host <host>',
      'run --experiments <dir>',
      'serve --experiments <dir>',
    ];
    expect(declared.filter((flag) => !covered.has(flag) && !freeText.includes(flag))).toEqual([]);
  });
});

describe('numberArgument', () => {
  it('takes the bounds themselves', () => {
    const rate = numberArgument({ kind: 'number', min: 0, max: 1 });
    expect([rate('0'), rate('1'), rate('0.25')]).toEqual([0, 1, 0.25]);
    const count = numberArgument({ kind: 'integer', min: 1, max: 10 });
    expect([count('1'), count('10')]).toEqual([1, 10]);
  });

  it('says how far integers go when the value is past them', () => {
    expect(() => numberArgument({ kind: 'integer' })('1e20')).toThrow(
      `expected an integer, found "1e20" (integers go up to ${Number.MAX_SAFE_INTEGER})`,
    );
  });
});
