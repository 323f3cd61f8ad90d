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
