import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TeamConfig } from '../config/index.js';

/** The directory holding one directory per task the server was given. */
export function tasksDirectory(dataDir: string): string {
  return join(dataDir, 'tasks');
}

/** The ids of the tasks the server was given, in name order (none when the data directory is new). */
export async function listTaskIds(dataDir: string): Promise<string[]> {
  const entries = await readdir(tasksDirectory(dataDir), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** The directory of a task's files under the server's data directory: its request record and, on the file store, its state. */
export function taskDirectory(dataDir: string, taskId: string): string {
  return join(tasksDirectory(dataDir), taskId);
}

/**
 * The team config of one task: each task id is its own team run. On the file store its state, ledger
 * and run records live in the task's directory; on PostgreSQL the task id is the team's key.
 */
export function taskTeamConfig(input: { base: TeamConfig; dataDir: string; taskId: string }): TeamConfig {
  const { base, taskId } = input;
  const dir = taskDirectory(input.dataDir, taskId);
  return {
    ...base,
    stateFile: join(dir, 'team-communication.json'),
    ledgerFile: join(dir, 'run_ledger.jsonl'),
    runsDir: join(dir, 'runs'),
    store: base.store.kind === 'postgres' ? { ...base.store, key: taskId } : base.store,
  };
}
