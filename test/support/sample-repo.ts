import { cp, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { git } from '../../src/workspace/index.js';

/** The tiny Node project under test/fixtures/sample-repo. */
export const SAMPLE_REPO_FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sample-repo');

/** A test identity passed with -c, so commits work on machines with no git identity configured. */
export const TEST_IDENTITY_ARGS = ['-c', 'user.name=agent-team tests', '-c', 'user.email=tests@localhost', '-c', 'commit.gpgsign=false'];

/** A temporary git repository, removed by `cleanup()`. */
export interface TempRepository {
  /** Real path of the repository root. */
  dir: string;
  /** Runs git in the repository with the test identity, returning stdout trimmed. */
  git(...args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

/** Turns `dir` into a git repository on `main` with everything in it committed once. */
export async function initRepository(dir: string, message = 'Initial commit'): Promise<TempRepository> {
  const run = async (...args: string[]): Promise<string> => (await git({ cwd: dir, args: [...TEST_IDENTITY_ARGS, ...args] })).stdout.trim();
  await run('init', '--quiet', '-b', 'main');
  await run('add', '--all');
  await run('commit', '--quiet', '--allow-empty', '--no-verify', '-m', message);
  return { dir, git: run, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A copy of the sample project in a temp dir, as a git repository with one commit on `main`. */
export async function sampleRepo(prefix = 'agent-team-sample-'): Promise<TempRepository> {
  // realpath: git prints real paths, and macOS temp dirs sit behind a symlink.
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  await cp(SAMPLE_REPO_FIXTURE, dir, { recursive: true });
  return initRepository(dir, 'Sample project');
}

/** An empty temp dir made a git repository with one (empty) commit on `main`. */
export async function emptyRepo(prefix = 'agent-team-repo-'): Promise<TempRepository> {
  return initRepository(await realpath(await mkdtemp(join(tmpdir(), prefix))));
}
