import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { runProcess } from '../../src/files/index.js';
import { captureTimers } from '../support/captured-timers.js';
import { isGone, waitUntil } from '../support/processes.js';

const NODE = process.execPath;
// A configured timeout no other timer uses, so only the test fires it.
const TIMEOUT_MS = 3_600_000;
let root: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'agent-team-run-process-')));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A node script that starts a child ignoring SIGTERM, says "started", records both pids, then waits forever. */
function parentWithStubbornChild(pidFile: string): string[] {
  const child = `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);`;
  const parent = [
    `const { spawn } = require('node:child_process');`,
    `const child = spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'ignore' });`,
    // "started" goes out before the pid file appears, so a test that sees the file knows the line was written.
    `console.log('started');`,
    // Written whole, then renamed: a test that sees the file can read both pids.
    `const fs = require('node:fs');`,
    `fs.writeFileSync(${JSON.stringify(`${pidFile}.tmp`)}, JSON.stringify({ parent: process.pid, child: child.pid }));`,
    `fs.renameSync(${JSON.stringify(`${pidFile}.tmp`)}, ${JSON.stringify(pidFile)});`,
    `setInterval(() => {}, 1000);`,
  ].join('\n');
  return [NODE, '-e', parent];
}

async function expectGroupGone(pidFile: string): Promise<void> {
  const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { parent: number; child: number };
  await waitUntil(() => isGone(pids.parent) && isGone(pids.child), 'the program and its child are gone');
}

describe('runProcess', () => {
  it('runs an argv without a shell and keeps stdout and stderr apart', async () => {
    const result = await runProcess({
      argv: [NODE, '-e', 'console.log(process.argv[1]); console.error("err"); process.exit(3)', '$HOME; echo pwned'],
      cwd: root,
      timeoutMs: 10_000,
      capture: { stdout: 1_000, stderr: 1_000 },
    });
    expect(result).toMatchObject({ exitCode: 3, signal: null, stopped: undefined });
    expect(result.stdout).toEqual({ text: '$HOME; echo pwned\n', totalBytes: 18 });
    expect(result.stderr).toEqual({ text: 'err\n', totalBytes: 4 });
    expect(result.interleaved.text).toBe(''); // not asked for
  });

  it('on timeout kills the whole process group, SIGTERM then SIGKILL for a child that ignores SIGTERM', async () => {
    const pidFile = join(root, 'pids.json');
    // The timeout fires when the test says so: once the program and its child are running.
    const timeouts = captureTimers(TIMEOUT_MS);
    onTestFinished(() => timeouts.restore());
    const running = runProcess({
      argv: parentWithStubbornChild(pidFile),
      timeoutMs: TIMEOUT_MS,
      killGraceMs: 300,
      capture: { interleaved: 1_000 },
    });
    await waitUntil(() => existsSync(pidFile), 'the program has started its child');
    timeouts.fireLast();
    const result = await running;
    expect(result).toMatchObject({ stopped: 'timeout', exitCode: null, signal: 'SIGTERM' });
    expect(result.interleaved.text).toBe('started\n');
    await expectGroupGone(pidFile);
  });

  it('on abort kills the whole process group', async () => {
    const pidFile = join(root, 'pids.json');
    const controller = new AbortController();
    const running = runProcess({
      argv: parentWithStubbornChild(pidFile),
      timeoutMs: 60_000,
      killGraceMs: 300,
      signal: controller.signal,
      capture: {},
    });
    await waitUntil(() => {
      try {
        return readFileSync(pidFile, 'utf8') !== '';
      } catch {
        return false;
      }
    }, 'the program started its child');
    controller.abort();
    expect(await running).toMatchObject({ stopped: 'abort' });
    await expectGroupGone(pidFile);
  });

  it('stops the program at once for a signal already aborted', async () => {
    const result = await runProcess({
      argv: [NODE, '-e', 'setInterval(() => {}, 1000)'],
      timeoutMs: 60_000,
      signal: AbortSignal.abort(),
      capture: {},
    });
    expect(result.stopped).toBe('abort');
  });

  it('caps what it keeps, keeping the start and the end', async () => {
    const script = `process.stdout.write('a'.repeat(100000)); process.stdout.write('b'.repeat(100000)); console.log('THE END');`;
    const result = await runProcess({ argv: [NODE, '-e', script], timeoutMs: 10_000, capture: { interleaved: 4_000 } });
    expect(result.exitCode).toBe(0);
    expect(result.interleaved.totalBytes).toBe(200_008);
    expect(result.interleaved.text).toMatch(/^a{2000}\n\[… 196008 bytes of output omitted …\]\nb{1992}THE END\n$/);
  });

  it('stops a program that writes more than maxStdoutBytes', async () => {
    const script = `setInterval(() => process.stdout.write('x'.repeat(10000)), 1)`;
    const result = await runProcess({ argv: [NODE, '-e', script], timeoutMs: 60_000, capture: { stdout: 50_000 }, maxStdoutBytes: 50_000 });
    expect(result.stopped).toBe('overflow');
    expect(result.stdout.totalBytes).toBeGreaterThan(50_000);
  });

  it('rejects with the spawn error when the program cannot be started', async () => {
    await expect(runProcess({ argv: ['no-such-program-for-agent-team'], timeoutMs: 60_000, capture: {} })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
