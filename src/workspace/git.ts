/**
 * A small typed wrapper around the git executable. Commands run with
 * `execFile`, never through a shell, so no argument is ever interpreted.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { WorkspaceError } from './workspace-error.js';

const DEFAULT_TIMEOUT_MS = 60_000;
// Diffs and listings of a large repository can exceed execFile's 1 MB default.
const MAX_BUFFER_BYTES = 64 * 1024 * 1024;
const STDERR_IN_MESSAGE_CHARS = 2_000;

// A git hook or an outer git command exports these; inherited, they would
// point every command here at the outer repository instead of `cwd`.
const REPOSITORY_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_PREFIX', 'GIT_OBJECT_DIRECTORY'];

/** What a finished git command printed, and its exit code. */
export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** A git command failed: exited non-zero, was killed, or timed out. */
export class GitError extends WorkspaceError {
  /** The arguments git ran with (without `git`). */
  readonly args: readonly string[];
  /** git's exit code; null when it was killed (timeout or signal). */
  readonly gitExitCode: number | null;
  readonly stderr: string;

  constructor(input: { args: readonly string[]; gitExitCode: number | null; stderr: string; why: string; cause?: unknown }) {
    const detail = input.stderr.trim().slice(0, STDERR_IN_MESSAGE_CHARS);
    super({
      code: 'workspace_git_failed',
      message: `git ${input.args.join(' ')} ${input.why}${detail === '' ? '' : `:\n${detail}`}`,
      cause: input.cause,
    });
    this.args = input.args;
    this.gitExitCode = input.gitExitCode;
    this.stderr = input.stderr;
  }
}

/** How to run one git command. */
export interface GitOptions {
  cwd: string;
  args: readonly string[];
  /** Killed after this long. Default 60 s. */
  timeoutMs?: number;
  /** Return a non-zero exit as a result instead of throwing `GitError`. */
  allowFailure?: boolean;
  /** Extra environment variables for this command. */
  env?: Readonly<Record<string, string>>;
}

/** Runs git in `cwd`; throws `GitError` on a non-zero exit unless `allowFailure`. */
export function git(options: GitOptions): Promise<GitResult> {
  const { cwd, args } = options;
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, GIT_TERMINAL_PROMPT: '0' };
  for (const name of REPOSITORY_ENV) if (options.env?.[name] === undefined) delete env[name];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      { cwd, env, timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_BUFFER_BYTES, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const code = (error as { code?: unknown }).code;
        if (code === 'ENOENT') {
          reject(new WorkspaceError({ code: 'workspace_git_missing', message: gitMissingMessage(cwd), cause: error }));
        } else if (typeof code === 'number') {
          if (options.allowFailure === true) resolve({ stdout, stderr, code });
          else reject(new GitError({ args, gitExitCode: code, stderr, why: `failed with exit code ${code}`, cause: error }));
        } else {
          const why = error.killed ? `was killed after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : `could not run (${error.message})`;
          reject(new GitError({ args, gitExitCode: null, stderr, why, cause: error }));
        }
      },
    );
  });
}

/** ENOENT from execFile means a missing executable or a missing cwd; say which. */
function gitMissingMessage(cwd: string): string {
  return `Could not run git in ${cwd}: either git is not installed (install it and make sure it is on PATH) or the directory does not exist.`;
}

/** True when `directory` exists and lies inside a git working tree. */
export async function isRepository(directory: string): Promise<boolean> {
  const found = await stat(directory).catch(() => undefined);
  if (found?.isDirectory() !== true) return false;
  const result = await git({ cwd: directory, args: ['rev-parse', '--is-inside-work-tree'], allowFailure: true });
  return result.code === 0 && result.stdout.trim() === 'true';
}

/** The checked-out branch's short name, or null on a detached HEAD. */
export async function currentBranch(directory: string): Promise<string | null> {
  const result = await git({ cwd: directory, args: ['symbolic-ref', '--quiet', '--short', 'HEAD'], allowFailure: true });
  if (result.code === 0) return result.stdout.trim();
  if (result.code === 1) return null;
  throw new GitError({
    args: ['symbolic-ref', '--quiet', '--short', 'HEAD'],
    gitExitCode: result.code,
    stderr: result.stderr,
    why: `failed with exit code ${result.code}`,
  });
}

/** True when nothing is modified, staged or untracked (ignored files do not count). */
export async function isClean(directory: string, options: { untracked?: boolean } = {}): Promise<boolean> {
  const untracked = options.untracked === false ? 'no' : 'all';
  const result = await git({ cwd: directory, args: ['status', '--porcelain', '-z', `--untracked-files=${untracked}`] });
  return result.stdout === '';
}

/** The full sha of the commit `ref` (default HEAD) points to. */
export async function headCommit(directory: string, ref = 'HEAD'): Promise<string> {
  // rev-parse reads a leading dash as an option, and older gits lack --end-of-options.
  if (ref.startsWith('-'))
    throw new WorkspaceError({ code: 'workspace_invalid_id', message: `"${ref}" is not a valid git revision: it starts with "-".` });
  const result = await git({ cwd: directory, args: ['rev-parse', '--verify', `${ref}^{commit}`] });
  return result.stdout.trim();
}

/** The full sha of the commit `ref` names, or null when it names none (a missing branch, say). */
export async function resolveRef(directory: string, ref: string): Promise<string | null> {
  const result = await git({ cwd: directory, args: ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], allowFailure: true });
  return result.code === 0 ? result.stdout.trim() : null;
}

/** The files left conflicted by a merge, cherry-pick or rebase in progress. */
export async function conflictedFiles(directory: string): Promise<string[]> {
  const { stdout } = await git({ cwd: directory, args: ['diff', '--name-only', '--diff-filter=U'], allowFailure: true });
  return stdout.split('\n').filter((line) => line !== '');
}

/** Splits NUL-separated git output (`-z`) into its non-empty entries. */
export function splitNul(output: string): string[] {
  return output.split('\0').filter((entry) => entry !== '');
}
