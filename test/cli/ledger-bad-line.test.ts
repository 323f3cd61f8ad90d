import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { runCommand, startCommand } from '../support/cli-in-process.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

const STATE = '.ai-agents/state/team-communication.json';
const LEDGER = '.ai-agents/state/run_ledger.jsonl';
let project: TempProject;

afterEach(async () => {
  await project.cleanup();
});

function count(text: string, pattern: RegExp): number {
  return text.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

describe('a bad line in run_ledger.jsonl', () => {
  it('the live progress view skips it with one warning and the run finishes with its record', async () => {
    project = await tempProject('agent-team-bad-line-progress-');
    const running = startCommand(['run', '--feature', 'Add login', '--seed', '2', '--time-scale', '0.06'], { cwd: project.dir });
    await running.waitForOutput(/ took T1/);
    // Another process appends garbage while the team is still writing.
    await appendFile(project.path(LEDGER), '{"seq":\n');
    const result = await running.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ run done: all tasks done\n/);
    const warning = new RegExp(`warning: Ledger ${project.path(LEDGER)} line \\d+ is not valid JSON \\(column \\d+: .+\\); skipped\\n`);
    expect(result.stderr).toMatch(warning);
    // One warning in all: the run record reads the same line and does not repeat it.
    expect(count(result.stderr, /line \d+ is not valid JSON/), result.stderr).toBe(1);
    const recordDir = /^ {2}record {4}(.+)$/m.exec(result.stdout)?.[1] ?? '';
    expect(existsSync(join(recordDir, 'summary.json'))).toBe(true);
    expect(await readFile(join(recordDir, 'report.md'), 'utf8')).toContain('Add login');
  });

  it('run --resume finishes the work, exits 0 and writes summary.json and report.md', async () => {
    project = await tempProject('agent-team-bad-line-resume-');
    const first = startCommand(['run', '--feature', 'Add login', '--seed', '2', '--time-scale', '0.06'], { cwd: project.dir });
    await first.waitForOutput(/finished T1/);
    first.interrupt();
    expect((await first.done).code).toBe(130);
    const lines = (await readFile(project.path(LEDGER), 'utf8')).split('\n').length;
    await appendFile(project.path(LEDGER), 'not json at all\n{"type":"task-end"}\n');

    const resumed = await runCommand(['run', '--resume', '--time-scale', '0', '--json'], { cwd: project.dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    const output = JSON.parse(resumed.stdout) as { status: string; files: { summary: string; report: string } };
    expect(output.status).toBe('done');
    expect(JSON.parse(await readFile(output.files.summary, 'utf8'))).toMatchObject({ status: 'done' });
    expect(existsSync(output.files.report)).toBe(true);
    // With --json there is no live view: the record's reader warns, in the log, once per line.
    expect(count(resumed.stderr, new RegExp(`Ledger ${project.path(LEDGER)} line ${lines} is not valid JSON`))).toBe(1);
    expect(count(resumed.stderr, new RegExp(`line ${lines + 1} is not a ledger entry`))).toBe(1);
  });

  describe('ledger', () => {
    /** The done fixture's state with a ledger whose second line is `bad`. */
    async function ledgerWithBadLine(bad: string): Promise<void> {
      project = await tempProject('agent-team-bad-line-ledger-');
      await project.write(STATE, await readFile(join(ROOT, 'test/fixtures/state/v1-done.json'), 'utf8'));
      const at = '2026-12-02T03:31:00.000Z';
      await project.write(
        LEDGER,
        [
          { type: 'run-start', runId: 'r1', feature: 'Add login', provider: 'sim', seed: 1, simulated: true, seq: 1, at },
          bad,
          { type: 'task-end', agentId: 'backend-dev', taskId: 'T1', status: 'done', detail: 'done', seq: 2, at },
          { type: 'run-end', runId: 'r1', status: 'done', reason: 'all tasks done', seq: 3, at },
        ]
          .map((entry) => (typeof entry === 'string' ? entry : JSON.stringify(entry)))
          .join('\n')
          .concat('\n'),
      );
    }

    const expectedLines = ['run r1 started: Add login', 'backend-dev finished T1', 'run done: all tasks done'];

    it.each([
      ['ledger', ['ledger'], '{"seq": ledger', 'not valid JSON \\(column \\d+: .+\\)'],
      ['ledger --follow', ['ledger', '--follow'], '{"seq": follow', 'not valid JSON \\(column \\d+: .+\\)'],
      ['ledger, an event without its fields', ['ledger'], '{"type":"task-end","seq":2,"at":"x"}', 'not a valid event: .*taskId.*'],
      [
        'ledger --follow, an event without its fields',
        ['ledger', '--follow'],
        '{"type":"task-end","seq":2,"at":"y"}',
        'not a valid event: .*',
      ],
    ])('%s: prints every other event and warns once, naming the file and line', async (_name, args, bad, problem) => {
      await ledgerWithBadLine(bad);
      const result = await runCommand(args, { cwd: project.dir });
      expect(result.code, result.stderr).toBe(0);
      expect(
        result.stdout
          .trimEnd()
          .split('\n')
          .map((text) => text.slice(9)),
      ).toEqual(expectedLines);
      expect(result.stderr).toMatch(new RegExp(`^warning: Ledger ${project.path(LEDGER)} line 2 is ${problem}; skipped\\n$`));
    });

    it('--json prints the good lines as JSON and the warning on stderr', async () => {
      await ledgerWithBadLine('garbage from another process');
      const result = await runCommand(['ledger', '--json'], { cwd: project.dir });
      expect(result.code, result.stderr).toBe(0);
      const entries = result.stdout
        .trimEnd()
        .split('\n')
        .map((text) => JSON.parse(text) as { seq: number });
      expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3]);
      expect(count(result.stderr, /line 2 is not valid JSON/)).toBe(1);
    });
  });
});
