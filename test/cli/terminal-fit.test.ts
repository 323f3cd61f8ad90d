/**
 * What a person sees in a real terminal: the CLI runs in a pseudo-terminal of a given size and its output is
 * replayed in a terminal emulator, which keeps the scrollback as a terminal would.
 */
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/memory/index.js';
import { BIN, ensureBuilt } from '../support/cli.js';
import { type PtyProcess, replay, startInPty as startPty } from '../support/pseudo-terminal.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const FEATURE = 'Add user authentication with email and password';
// A status line, whole or cut: it starts with the task count.
const STATUS = /^tasks \d+\/\d+ done/;

let project: TempProject | undefined;
// Closed after each test, also when it failed halfway: no command is left running on its terminal.
const terminals: PtyProcess[] = [];
function startInPty(...args: Parameters<typeof startPty>): PtyProcess {
  const terminal = startPty(...args);
  terminals.push(terminal);
  return terminal;
}
beforeAll(() => ensureBuilt());
afterEach(async () => {
  await Promise.all(terminals.splice(0).map((terminal) => terminal.close()));
  await project?.cleanup();
  project = undefined;
});

describe('the live status line of a run', () => {
  for (const columns of [60, 120]) {
    it(`at ${columns} columns leaves no copy of itself behind, and every path it prints is whole`, async () => {
      project = await tempProject('agent-team-pty-');
      const run = startInPty([process.execPath, BIN, 'run', '--feature', FEATURE, '--time-scale', '0.01'], {
        cwd: project.dir,
        columns,
        rows: 24,
      });
      expect(await run.done, run.output()).toBe(0);
      const seen = await replay(run.output(), { columns, rows: 24 });
      expect(seen.logicalLines.filter((line) => STATUS.test(line))).toEqual([]);
      expect(seen.logicalLines).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d \S+ took T1 /));
      // The run's record: a path to copy, printed whole (wrapped by the terminal when longer than a row, never cut).
      const record = seen.logicalLines.find((line) => line.trimStart().startsWith('record'));
      const path = record?.trim().split(/\s+/)[1];
      expect(path !== undefined && existsSync(path), `${record}`).toBe(true);
      // Each status line drawn fits one row: the text between a line erase and the next write never wraps.
      const drawn = run
        .output()
        .split('\r\u001b[2K')
        .slice(1)
        .map((chunk) => chunk.replace(/\u001b\[[0-9;]*m/g, '').split(/[\r\n]/)[0] ?? '')
        .filter((text) => STATUS.test(text));
      expect(drawn.length).toBeGreaterThan(0);
      for (const text of drawn) expect(text.length, text).toBeLessThan(columns);
      if (columns === 120) expect(drawn.at(-1)).toMatch(/open blocker\(s\) · [\d.]+k tokens · [\d.]+ s$/);
    });
  }
});

describe('monitor on a terminal', () => {
  it('at 120×40 keeps its header on screen, adds nothing to the scrollback and gives the screen back on Ctrl-C', async () => {
    project = await tempProject('agent-team-pty-');
    const before = 'a line the person had on screen before';
    // More memories than the screen has rows.
    await MemoryStore.forProject(project.dir).append(
      Array.from({ length: 60 }, (_, index) => ({
        type: 'fact' as const,
        content: `Finding number ${index + 1}: ${'the checkout total ignores the discount code '.repeat(4)}`,
        tags: ['code-agent'],
        agent: 'code-1',
        role: 'code',
        project: 'shop',
      })),
    );
    const monitor = startInPty(
      [
        'sh',
        '-c',
        `echo '${before}'; exec "$0" "$@"`,
        process.execPath,
        BIN,
        'monitor',
        '--project',
        'shop',
        '--limit',
        '60',
        '--interval',
        '0.2',
      ],
      {
        cwd: project.dir,
        columns: 120,
        rows: 40,
      },
    );
    // Three frames drawn: the first, and two refreshes.
    const frames = (): number => monitor.output().split('\u001b[H').length - 1;
    await monitor.waitForOutput(/Ctrl-C to quit/);
    while (frames() < 3) await new Promise((resolve) => setTimeout(resolve, 50));
    const live = await replay(monitor.output(), { columns: 120, rows: 40 });
    expect(live.alternate).toBe(true);
    expect(live.screen[0]).toContain('agent-team monitor — project "shop"');
    expect(live.screen[39]).toContain('Ctrl-C to quit');
    expect(live.screen.some((line) => /… \d+ more lines/.test(line))).toBe(true);
    for (const line of live.screen) expect(line.length).toBeLessThan(120);
    expect(live.scrollback).toEqual([]);

    monitor.type('\u0003');
    expect(await monitor.done).toBe(0);
    const after = await replay(monitor.output(), { columns: 120, rows: 40 });
    expect(after.alternate).toBe(false);
    expect(after.screen[0]).toBe(before);
    expect(after.logicalLines.join('\n')).not.toContain('agent-team monitor');
  });

  it('at 60 columns wraps the command it tells the person to run instead of cutting it', async () => {
    project = await tempProject('agent-team-pty-');
    const monitor = startInPty([process.execPath, BIN, 'monitor', '--project', 'a-rather-long-project-name', '--interval', '0.2'], {
      cwd: project.dir,
      columns: 60,
      rows: 20,
    });
    await monitor.waitForOutput(/Ctrl-C to quit/);
    const live = await replay(monitor.output(), { columns: 60, rows: 20 });
    monitor.type('\u0003');
    expect(await monitor.done).toBe(0);
    const at = live.screen.findIndex((line) => line.trimStart().startsWith('agent-team spawn'));
    expect(at).toBeGreaterThan(0);
    const command = live.screen
      .slice(at, at + 2)
      .map((line) => line.trim())
      .join('');
    expect(command).toBe('agent-team spawn <role> <dir> "<task>" --project a-rather-long-project-name');
    for (const line of live.screen) expect(line.length).toBeLessThan(60);
  });
});
