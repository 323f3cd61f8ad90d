import { vi } from 'vitest';

/**
 * Test timeout of a fixed amount of work done by real processes (many workers, git, agent
 * processes). Its time grows with the machine's load; this bound only catches a hang.
 */
const PROCESSES_TIMEOUT_MS = 180_000;

/** Gives every test of the calling file (and its hooks) PROCESSES_TIMEOUT_MS. */
export function useProcessesTimeout(): void {
  vi.setConfig({ testTimeout: PROCESSES_TIMEOUT_MS, hookTimeout: PROCESSES_TIMEOUT_MS });
}
