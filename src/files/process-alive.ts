import { readFileSync } from 'node:fs';
import { errorCode } from './error-code.js';

/**
 * True while the process exists (signal 0 only checks; a zombie counts, it is
 * about to be reaped). EPERM means it exists under another user. Pids below 1
 * name process groups, never one process: false.
 */
export function isProcessAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** The fields of /proc/<pid>/stat after the command name (field 3 on), or null where the host has no such file. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * When the process started, as its host records it (Linux: the start time in
 * clock ticks since boot, field 22 of /proc/<pid>/stat), or null where the host
 * does not say. Two processes with the same pid have different start tokens.
 */
export function processStartToken(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/**
 * True while the process exists and has not exited: unlike isProcessAlive, a
 * zombie (exited, waiting for a parent that may never reap it) counts as gone.
 */
export function isProcessRunning(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  const state = statFields(pid)?.[0];
  return state !== 'Z' && state !== 'X';
}
