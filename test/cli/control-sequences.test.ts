import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROJECT } from '../../src/cli/commands/role-agent-setup.js';
import { loadTeamConfig } from '../../src/config/index.js';
import { MemoryStore } from '../../src/memory/index.js';
import { writeRunRecord } from '../../src/report/index.js';
import { writeAgentStatus } from '../../src/solo/index.js';
import { teamStateSchema } from '../../src/state/index.js';
import { readRunLedger } from '../../src/team/index.js';
import { runCommand } from '../support/cli-in-process.js';
import { CONTROL_BYTES, hostile } from '../support/control-bytes.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

const STATE = '.ai-agents/state/team-communication.json';
const LEDGER = '.ai-agents/state/run_ledger.jsonl';
// Fields that carry model text (or a person's) in the state and the ledger.
const MODEL_TEXT = new Set(['feature', 'question', 'resolution', 'detail', 'reason', 'endReason', 'summary', 'notes', 'title']);

/** Wraps every model-text string of `value` in escape sequences; `hostile(text)` shows as `text!`. */
function poison(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return MODEL_TEXT.has(key) ? hostile(value) : value;
  if (Array.isArray(value)) return value.map((item) => poison(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, poison(item, name)]));
  }
  return value;
}

function expectPlain(text: string): void {
  expect(text).not.toMatch(CONTROL_BYTES);
}

let project: TempProject;
let question: string;

beforeAll(async () => {
  project = await tempProject('agent-team-controls-');
  // A real sim run with blockers, its state and ledger then filled with hostile model text.
  const run = await runCommand(['run', '--feature', 'Add login', '--blocker-rate', '1', '--time-scale', '0', '--json'], {
    cwd: project.dir,
  });
  expect(run.code, run.stderr).toBe(0);
  const original = teamStateSchema.parse(JSON.parse(await readFile(project.path(STATE), 'utf8')));
  const state = teamStateSchema.parse(poison(original));
  await writeFile(project.path(STATE), `${JSON.stringify(state, null, 2)}\n`);
  const ledger = (await readFile(project.path(LEDGER), 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.stringify(poison(JSON.parse(line))));
  await writeFile(project.path(LEDGER), `${ledger.join('\n')}\n`);
  // The start of a question: `ledger` clips long ones.
  question = original.blockers[0]?.question.slice(0, 40) ?? '';
  expect(question.length).toBeGreaterThan(10);
});

afterAll(async () => {
  await project.cleanup();
});

describe('model text with terminal escape sequences', () => {
  it.each([
    ['ledger', ['ledger']],
    ['ledger --all', ['ledger', '--all']],
    ['ledger --follow', ['ledger', '--follow']],
  ])('%s prints the words without a control byte', async (_name, args) => {
    const result = await runCommand(args, { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expectPlain(result.stdout);
    expectPlain(result.stderr);
    expect(result.stdout).toContain('started: Add login!');
    expect(result.stdout).toContain(question);
  });

  it('ledger --json stays JSON that holds the text as it was, every control escaped', async () => {
    const result = await runCommand(['ledger', '--json'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expectPlain(result.stdout);
    const first = JSON.parse(result.stdout.split('\n')[0] ?? '') as { feature: string };
    expect(first.feature).toBe(hostile('Add login'));
  });

  it('status prints the feature and end reason without a control byte', async () => {
    const result = await runCommand(['status'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expectPlain(result.stdout);
    expect(result.stdout).toContain('feature: Add login!');
    expect(result.stdout).toContain('all tasks done!');
  });

  it('report.md keeps the questions and summaries, without a control byte', async () => {
    const config = loadTeamConfig({ cwd: project.dir });
    const state = teamStateSchema.parse(JSON.parse(await readFile(project.path(STATE), 'utf8')));
    const { files } = await writeRunRecord({ config, state, ledger: await readRunLedger(config) });
    const report = await readFile(files.report, 'utf8');
    expectPlain(report);
    expect(report).toContain('**Feature:** Add login!');
    expect(report).toContain(question);
  });

  it('findings, errors and monitor print memories and agent summaries without a control byte', async () => {
    const store = MemoryStore.forProject(project.dir);
    await store.append([
      { type: 'error', content: hostile('Login fails on an empty password'), agent: 'test-1', role: 'test', project: DEFAULT_PROJECT },
      { type: 'decision', content: hostile('Sessions live in Redis'), agent: 'code-1', role: 'code', project: DEFAULT_PROJECT },
    ]);
    const now = new Date().toISOString();
    await writeAgentStatus({
      projectDir: project.dir,
      status: {
        version: 1,
        id: 'code-1',
        role: 'code',
        directory: project.dir,
        task: hostile('Add sessions'),
        project: DEFAULT_PROJECT,
        pid: process.pid,
        status: 'completed',
        startedAt: now,
        endedAt: now,
        summary: hostile('Sessions added'),
        saved: 1,
        error: null,
        log: null,
      },
    });
    const [findings, errors, monitor] = await Promise.all([
      runCommand(['findings'], { cwd: project.dir }),
      runCommand(['errors'], { cwd: project.dir }),
      runCommand(['monitor', '--once'], { cwd: project.dir }),
    ]);
    for (const result of [findings, errors, monitor]) {
      expect(result.code, result.stderr).toBe(0);
      expectPlain(result.stdout);
    }
    expect(findings.stdout).toContain('Sessions live in Redis!');
    expect(errors.stdout).toContain('Login fails on an empty password!');
    expect(monitor.stdout).toContain('Sessions added!');
  });

  it('plan prints a feature typed with escape sequences plain', async () => {
    const result = await runCommand(['plan', '--feature', hostile('Add a cart')], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expectPlain(result.stdout);
    expect(result.stdout).toContain('Plan for: Add a cart!');
  });

  it('an error message naming a file with escape sequences in its name prints plain', async () => {
    const result = await runCommand(['status', '--config', 'team\u001b[2J\u001b]0;x\u0007.json'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expectPlain(result.stderr);
    expect(result.stderr).toContain('team.json');
  });
});
