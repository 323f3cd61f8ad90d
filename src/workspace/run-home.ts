import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { errorCode, writeJsonFileAtomic } from '../files/index.js';
import { git } from './git.js';
import { repositoryRoot } from './worktrees.js';

/**
 * Where a run that works in a repository keeps its state: written into the
 * repository's git directory when the run starts, so that a command run from
 * the repository (`clean`) can find the run, ask whether its owner is live, and
 * leave its worktrees alone, wherever the run was started.
 */
export interface RunHome {
  runId: string;
  stateFile: string;
}

async function homesDir(repo: string): Promise<string> {
  const root = await repositoryRoot(repo);
  const commonDir = (await git({ cwd: root, args: ['rev-parse', '--git-common-dir'] })).stdout.trim();
  return join(resolve(root, commonDir), 'agent-team', 'runs');
}

/** Records which state file the run `runId` lives in. */
export async function recordRunHome(input: { repo: string } & RunHome): Promise<void> {
  const dir = await homesDir(input.repo);
  await mkdir(dir, { recursive: true });
  await writeJsonFileAtomic(join(dir, `${input.runId}.json`), { runId: input.runId, stateFile: input.stateFile });
}

/** The state file of run `runId` as recorded in the repository, or null when none was (or it is unreadable). */
export async function readRunHome(repo: string, runId: string): Promise<RunHome | null> {
  const file = join(await homesDir(repo), `${runId}.json`);
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<RunHome>;
    return typeof parsed.stateFile === 'string' ? { runId, stateFile: parsed.stateFile } : null;
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || error instanceof SyntaxError) return null;
    throw error;
  }
}
