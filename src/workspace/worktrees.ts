/**
 * One git worktree per agent task: `.worktrees/<agent>-<task>` on the branch
 * `agent-team/<run>/<task>`, cut from the integration branch as it stands.
 * Listing and cleaning are in `worktree-cleanup.ts`.
 */
import { appendFile, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errorCode } from '../files/index.js';
import { WORKTREE_STATUS_FILE } from './agent-status.js';
import { conflictedFiles, git, headCommit, isRepository, resolveRef } from './git.js';
import { AGENT_COMMIT_ARGS, forkPoint, parseTaskBranch, resolveCommit, taskBaseRef, taskBranch } from './task-branches.js';
import { WorkspaceError } from './workspace-error.js';

/** Directory under the repository root holding agent worktrees. */
export const WORKTREES_DIR = '.worktrees';

// Anchored at the root so that only our directory and status files are hidden, in every worktree.
const EXCLUDE_LINES = [`/${WORKTREES_DIR}/`, `/${WORKTREE_STATUS_FILE}`, `/.${WORKTREE_STATUS_FILE}.*.tmp`];

// Ids become branch and directory names, so they keep to characters both accept everywhere.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Short branch name; null when detached. */
  branch: string | null;
  /** Its directory is gone; `git worktree prune` forgets it. */
  prunable: boolean;
  locked: boolean;
  bare: boolean;
}

/** Every worktree of the repository `cwd` belongs to, the main one first. */
export async function listWorktrees(cwd: string): Promise<WorktreeEntry[]> {
  const { stdout } = await git({ cwd, args: ['worktree', 'list', '--porcelain'] });
  return stdout
    .split(/\n\n+/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const entry: WorktreeEntry = { path: '', head: null, branch: null, prunable: false, locked: false, bare: false };
      for (const line of block.split('\n')) {
        const space = line.indexOf(' ');
        const key = space === -1 ? line : line.slice(0, space);
        const value = space === -1 ? '' : line.slice(space + 1);
        if (key === 'worktree') entry.path = value;
        else if (key === 'HEAD') entry.head = value;
        else if (key === 'branch') entry.branch = value.replace(/^refs\/heads\//, '');
        else if (key === 'prunable') entry.prunable = true;
        else if (key === 'locked') entry.locked = true;
        else if (key === 'bare') entry.bare = true;
      }
      return entry;
    });
}

/** The root of the main working tree, from `repo` or from any of its worktrees. */
export async function repositoryRoot(repo: string): Promise<string> {
  if (!(await isRepository(repo))) {
    throw new WorkspaceError({
      code: 'workspace_not_repository',
      message:
        `${repo} is not inside a git working tree. ` +
        'Agents work in git worktrees: run `git init` and commit once, or point agent-team at a git repository.',
    });
  }
  const main = (await listWorktrees(repo))[0];
  if (main === undefined || main.bare) {
    throw new WorkspaceError({
      code: 'workspace_not_repository',
      message: `${repo} belongs to a bare repository; agent worktrees need a main working tree.`,
    });
  }
  return main.path;
}

/** An agent's worktree for one task. */
export interface TaskWorktree {
  path: string;
  branch: string;
  /** The commit the task branch was cut from. */
  baseCommit: string;
  /** True when the worktree or branch already existed for this run. */
  resumed: boolean;
}

/** Which task's worktree to create, in which repository, from which base. */
export interface TaskWorktreeRequest {
  repo: string;
  runId: string;
  agentId: string;
  taskId: string;
  base: string;
  /**
   * Branches merged into a new task branch right after it is cut (its finished
   * dependencies, when they are not merged into the base); the task's own
   * changes are then counted from after those merges.
   */
  merge?: readonly { branch: string; message: string }[] | undefined;
  /** Held around the worktree bookkeeping so that agent processes sharing a repository take turns. */
  lock?: ((root: string) => Promise<() => Promise<void>>) | undefined;
}

/** Where the task's own work starts (see `merge`), or null when it starts where it left its base. */
export async function taskBase(input: { repo: string; runId: string; taskId: string }): Promise<string | null> {
  return resolveRef(input.repo, taskBaseRef(input));
}

const worktreeQueues = new Map<string, Promise<unknown>>();

/**
 * Creates `.worktrees/<agent>-<task>` on a new branch `agent-team/<run>/<task>`
 * from `base`; when this run already has the task's branch, reuses it (resume).
 */
export async function createTaskWorktree(input: TaskWorktreeRequest): Promise<TaskWorktree> {
  // git's worktree bookkeeping is not safe to run concurrently on one repository: a
  // `worktree prune` or `list` can see (and remove) the half-written entry of an `add`.
  const root = await repositoryRoot(input.repo);
  const previous = worktreeQueues.get(root) ?? Promise.resolve();
  const next = previous.then(async () => {
    const release = await input.lock?.(root);
    try {
      return await createTaskWorktreeIn(root, input);
    } finally {
      await release?.();
    }
  });
  worktreeQueues.set(
    root,
    next.catch(() => undefined),
  );
  return next;
}

async function createTaskWorktreeIn(root: string, input: TaskWorktreeRequest): Promise<TaskWorktree> {
  checkId('run id', input.runId);
  checkId('agent id', input.agentId);
  checkId('task id', input.taskId);
  await excludeAgentFiles(root);
  const baseCommit = await resolveCommit(root, input.base);
  const path = join(root, WORKTREES_DIR, `${input.agentId}-${input.taskId}`);
  const branch = taskBranch(input);
  // A worktree whose directory was deleted still holds its branch; forget it so the branch can be checked out again.
  await git({ cwd: root, args: ['worktree', 'prune'] });
  const worktrees = await listWorktrees(root);

  const onBranch = worktrees.find((entry) => entry.branch === branch);
  if (onBranch !== undefined) {
    if (!isAgentWorktreePath(root, onBranch.path)) {
      throw conflict(
        `Branch ${branch} is checked out at ${onBranch.path}, outside ${WORKTREES_DIR}/. Check out another branch there, then run again.`,
      );
    }
    return {
      path: onBranch.path,
      branch,
      baseCommit: (await taskBase({ ...input, repo: root })) ?? (await forkPoint(root, baseCommit, branch)),
      resumed: true,
    };
  }
  const atPath = worktrees.find((entry) => entry.path === path);
  if (atPath !== undefined) {
    const owner = atPath.branch === null ? 'a detached HEAD' : `branch ${atPath.branch}`;
    const run = atPath.branch === null ? null : parseTaskBranch(atPath.branch)?.runId;
    throw conflict(
      `${path} is already a worktree, on ${owner}${run === undefined || run === null ? '' : ` of run ${run}`}, not on ${branch} of run ${input.runId}. ` +
        `Clean up the old run's worktrees first (cleanWorktrees, or \`git worktree remove ${path}\`).`,
    );
  }
  if (await exists(path)) throw conflict(`${path} exists but is not a git worktree. Move it away or delete it, then run again.`);

  if ((await resolveRef(root, `refs/heads/${branch}`)) !== null) {
    await git({ cwd: root, args: ['worktree', 'add', path, branch] });
    return {
      path,
      branch,
      baseCommit: (await taskBase({ ...input, repo: root })) ?? (await forkPoint(root, baseCommit, branch)),
      resumed: true,
    };
  }
  await git({ cwd: root, args: ['worktree', 'add', '-b', branch, path, baseCommit] });
  const merges = input.merge ?? [];
  if (merges.length === 0) return { path, branch, baseCommit, resumed: false };
  for (const merge of merges) {
    const result = await git({
      cwd: path,
      args: [...AGENT_COMMIT_ARGS, 'merge', '--no-ff', '--no-edit', '-m', merge.message, merge.branch],
      allowFailure: true,
    });
    if (result.code === 0) continue;
    const files = await conflictedFiles(path);
    // Undone whole, so that a retry starts from a clean cut.
    await git({ cwd: path, args: ['merge', '--abort'], allowFailure: true });
    await discardNewTaskWorktree({ repo: root, path, runId: input.runId, taskId: input.taskId });
    throw new WorkspaceError({
      code: 'workspace_dependency_conflict',
      message:
        `The branches this task builds on conflict: merging ${merge.branch} into ${branch} ` +
        `conflicts in ${files.join(', ') || 'some files'}. Merge the dependencies by hand (or run with auto_merge), then resume.`,
    });
  }
  const start = await headCommit(path);
  await git({ cwd: root, args: ['update-ref', '-m', 'agent-team: where the task starts', taskBaseRef(input), start] });
  return { path, branch, baseCommit: start, resumed: false };
}

/**
 * Removes a task worktree cut a moment ago, with its branch and base ref: it holds
 * no work yet, and the next attempt cuts it again from scratch.
 */
export async function discardNewTaskWorktree(input: { repo: string; path: string; runId: string; taskId: string }): Promise<void> {
  await git({ cwd: input.repo, args: ['worktree', 'remove', '--force', input.path] });
  await git({ cwd: input.repo, args: ['branch', '-D', taskBranch(input)] });
  await git({ cwd: input.repo, args: ['update-ref', '-d', taskBaseRef(input)], allowFailure: true });
}

/** True when `path` is a worktree directory agent-team manages (directly under `.worktrees/`). */
export function isAgentWorktreePath(root: string, path: string): boolean {
  return dirname(resolve(path)) === join(root, WORKTREES_DIR);
}

// Agents starting together would each find the lines missing and append them once each.
const excludeUpdates = new Map<string, Promise<void>>();

/**
 * Hides the run's own files that live inside the repository (its state folder and
 * run records) from git, like the worktrees: `git status` stays clean for the user.
 */
export async function excludeRunFiles(input: { repo: string; paths: readonly string[] }): Promise<void> {
  const root = await repositoryRoot(input.repo);
  const lines = input.paths
    .map((path) => relative(root, resolve(path)))
    .filter((path) => path !== '' && !path.startsWith('..') && !isAbsolute(path))
    .map((path) => `/${path.split(sep).join('/')}/`);
  await excludeAgentFiles(root, lines);
}

/** Hides agent worktrees and status files from git through `.git/info/exclude`, never the user's .gitignore. */
async function excludeAgentFiles(root: string, extra: readonly string[] = []): Promise<void> {
  const commonDir = (await git({ cwd: root, args: ['rev-parse', '--git-common-dir'] })).stdout.trim();
  const file = join(resolve(root, commonDir), 'info', 'exclude');
  const update = (excludeUpdates.get(file) ?? Promise.resolve()).then(() => appendMissingLines(file, [...EXCLUDE_LINES, ...extra]));
  const settled = update.catch(() => undefined);
  excludeUpdates.set(file, settled);
  try {
    await update;
  } finally {
    if (excludeUpdates.get(file) === settled) excludeUpdates.delete(file);
  }
}

async function appendMissingLines(file: string, lines: readonly string[]): Promise<void> {
  const existing = await readFile(file, 'utf8').catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') return '';
    throw error;
  });
  const present = new Set(existing.split(/\r?\n/).map((line) => line.trim()));
  const missing = lines.filter((line) => !present.has(line));
  if (missing.length === 0) return;
  await mkdir(dirname(file), { recursive: true });
  const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${separator}# agent-team: agent worktrees, their status files and run records\n${missing.join('\n')}\n`);
}

function checkId(kind: string, value: string): void {
  if (ID_PATTERN.test(value) && !value.includes('..') && !value.endsWith('.lock') && !value.endsWith('.')) return;
  throw new WorkspaceError({
    code: 'workspace_invalid_id',
    message: `The ${kind} "${value}" cannot name a branch and a directory. Use 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
  });
}

function conflict(message: string): WorkspaceError {
  return new WorkspaceError({ code: 'workspace_worktree_conflict', message });
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** The real path of `path` when it exists, so that it compares equal to the paths git prints. */
export async function realPathIfExists(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}
