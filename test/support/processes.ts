import { spawn } from 'node:child_process';
import { isProcessRunning } from '../../src/files/index.js';

/**
 * True once the process is gone. A zombie counts as gone: only its exit status
 * is left, and in some containers PID 1 never reaps orphans.
 */
export function isGone(pid: number): boolean {
  return !isProcessRunning(pid);
}

/**
 * Polls `condition` until it holds, failing after `timeoutMs` with what was awaited. The default
 * is a bound for a broken case only (just under the test timeout), never a window a slow machine can miss.
 */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 50_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A pid that belonged to a process that has exited and been reaped (nothing runs under it now). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('close', resolve));
  return child.pid as number;
}
