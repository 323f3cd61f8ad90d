import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentBranch, GitError, headCommit } from '../../src/workspace/git.js';
import { git, isClean, isRepository } from '../../src/workspace/index.js';
import { emptyRepo, type TempRepository } from '../support/sample-repo.js';

let repo: TempRepository;

beforeEach(async () => {
  repo = await emptyRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

describe('git', () => {
  it('runs git without a shell and returns its output and exit code', async () => {
    const result = await git({ cwd: repo.dir, args: ['log', '--format=%s'] });
    expect(result).toEqual({ stdout: 'Initial commit\n', stderr: '', code: 0 });
    // A shell would expand this; execFile hands it to git as one literal argument.
    const literal = await git({ cwd: repo.dir, args: ['log', '--format=$(echo pwned) %s'] });
    expect(literal.stdout).toBe('$(echo pwned) Initial commit\n');
  });

  it('throws a GitError carrying the args, the exit code and stderr', async () => {
    const error = await git({ cwd: repo.dir, args: ['rev-parse', '--verify', 'no-such-branch'] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitError);
    expect(error).toMatchObject({ code: 'workspace_git_failed', args: ['rev-parse', '--verify', 'no-such-branch'], gitExitCode: 128 });
    expect((error as GitError).stderr).toContain('Needed a single revision');
    expect((error as GitError).message).toContain('git rev-parse --verify no-such-branch failed with exit code 128');
  });

  it('returns a failing exit code instead of throwing when asked to', async () => {
    const result = await git({ cwd: repo.dir, args: ['show-ref', '--verify', '--quiet', 'refs/heads/nope'], allowFailure: true });
    expect(result.code).toBe(1);
  });

  it('ignores an inherited GIT_DIR, which would point at another repository', async () => {
    const other = await emptyRepo();
    const saved = process.env.GIT_DIR;
    process.env.GIT_DIR = join(other.dir, '.git');
    try {
      await writeFile(join(repo.dir, 'only-here.txt'), 'x');
      expect(await isClean(repo.dir)).toBe(false);
      expect(await isClean(other.dir)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = saved;
      await other.cleanup();
    }
  });
});

describe('repository helpers', () => {
  it('tells repositories from plain and missing directories', async () => {
    const plain = await realpath(await mkdtemp(join(tmpdir(), 'agent-team-plain-')));
    try {
      expect(await isRepository(repo.dir)).toBe(true);
      expect(await isRepository(plain)).toBe(false);
      expect(await isRepository(join(plain, 'missing'))).toBe(false);
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });

  it('reads the current branch, and null on a detached HEAD', async () => {
    expect(await currentBranch(repo.dir)).toBe('main');
    await repo.git('checkout', '--quiet', '--detach');
    expect(await currentBranch(repo.dir)).toBeNull();
  });

  it('counts untracked and modified files as unclean, ignored ones not', async () => {
    expect(await isClean(repo.dir)).toBe(true);
    await writeFile(join(repo.dir, '.git', 'info', 'exclude'), 'ignored.txt\n');
    await writeFile(join(repo.dir, 'ignored.txt'), 'x');
    expect(await isClean(repo.dir)).toBe(true);
    await writeFile(join(repo.dir, 'new.txt'), 'x');
    expect(await isClean(repo.dir)).toBe(false);
    await repo.git('add', 'new.txt');
    await repo.git('commit', '--quiet', '-m', 'Add new.txt');
    expect(await isClean(repo.dir)).toBe(true);
    await writeFile(join(repo.dir, 'new.txt'), 'changed');
    expect(await isClean(repo.dir)).toBe(false);
  });

  it('resolves HEAD and other refs to full commit shas', async () => {
    const sha = await repo.git('rev-parse', 'HEAD');
    expect(await headCommit(repo.dir)).toBe(sha);
    expect(await headCommit(repo.dir, 'main')).toMatch(/^[0-9a-f]{40}$/);
    await expect(headCommit(repo.dir, 'nope')).rejects.toBeInstanceOf(GitError);
    await expect(headCommit(repo.dir, '--all')).rejects.toMatchObject({ code: 'workspace_invalid_id' });
  });
});
