/**
 * One git worktree per agent task: `.worktrees/<agent>-<task>` on the branch
 * `agent-team/<run>/<task>`, cut from the integration branch as it stands.
 * Listing and cleaning are in `worktree-cleanup.ts`.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errorCode } from '../files/index.js';
import { WORKTREE_STATUS_FILE } from './agent-status.js';
import { conflictedFiles, currentBranch, git, GitError, headCommit, isRepository, resolveRef, splitNul } from './git.js';
import { WorkspaceError } from './workspace-error.js';

/** Directory under the repository root holding agent worktrees. */
export const WORKTREES_DIR = '.worktrees';

// -c rather than the user's config: agents must be able to commit on machines with no git identity.
// No signing and no hooks: a passphrase prompt would hang an unattended agent, and the user's hooks
// (which may prompt, block or even push) are not for machine commits; the gates judge the work instead.
/** Commits as agent-team, unsigned, without the user's hooks. */
export const AGENT_COMMIT_ARGS = [
  ...['-c', 'user.name=agent-team', '-c', 'user.email=agent-team@localhost'],
  ...['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'],
];

// Anchored at the root so that only our directory and status files are hidden, in every worktree.
const EXCLUDE_LINES = [`/${WORKTREES_DIR}/`, `/${WORKTREE_STATUS_FILE}`, `/.${WORKTREE_STATUS_FILE}.*.tmp`];

// Ids become branch and directory names, so they keep to characters both accept everywhere.
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The task branch of a run: `agent-team/<run>/<task>`. */
export function taskBranch(input: { runId: string; taskId: string }): string {
  return `agent-team/${input.runId}/${input.taskId}`;
}

/** The branch partial work is saved on: `wip/<run>/<task>`. */
export function wipBranch(input: { runId: string; taskId: string }): string {
  return `wip/${input.runId}/${input.taskId}`;
}

/** The run and task of an `agent-team/<run>/<task>` branch, or null for any other branch. */
export function parseTaskBranch(branch: string): { runId: string; taskId: string } | null {
  const match = /^(?:refs\/heads\/)?agent-team\/([^/]+)\/([^/]+)$/.exec(branch);
  return match?.[1] === undefined || match[2] === undefined ? null : { runId: match[1], taskId: match[2] };
}

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
      message: `${repo} is not inside a git working tree. Agents work in git worktrees: run \`git init\` and commit once, or point agent-team at a git repository.`,
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

/** The ref recording where a task branch's own work starts, when that is not where it left its base. */
export function taskBaseRef(input: { runId: string; taskId: string }): string {
  return `refs/agent-team/base/${input.runId}/${input.taskId}`;
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
      message: `The branches this task builds on conflict: merging ${merge.branch} into ${branch} conflicts in ${files.join(', ') || 'some files'}. Merge the dependencies by hand (or run with auto_merge), then resume.`,
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

/** Stages everything and commits it as agent-team; returns the new commit's sha, or null when nothing changed. */
export async function commitAll(input: { worktree: string; message: string }): Promise<string | null> {
  const { worktree } = input;
  await git({ cwd: worktree, args: ['add', '--all'] });
  const staged = await git({ cwd: worktree, args: ['diff', '--cached', '--quiet'], allowFailure: true });
  if (staged.code === 0) return null;
  if (staged.code !== 1)
    throw new GitError({
      args: ['diff', '--cached', '--quiet'],
      gitExitCode: staged.code,
      stderr: staged.stderr,
      why: `failed with exit code ${staged.code}`,
    });
  const message = taskMessage(input.message, parseTaskBranch((await currentBranch(worktree)) ?? ''));
  await git({ cwd: worktree, args: [...AGENT_COMMIT_ARGS, 'commit', '--no-verify', '--quiet', '-m', message] });
  return headCommit(worktree);
}

/** Files changed in the worktree since it left `base`, committed or not, relative to the repository root. */
export async function changedFiles(input: { worktree: string; base: string }): Promise<string[]> {
  const { worktree } = input;
  const since = await forkPoint(worktree, await resolveCommit(worktree, input.base), 'HEAD');
  // No rename detection: a rename touches two paths, and both matter to file-conflict checks.
  const tracked = await git({ cwd: worktree, args: ['diff', '--name-only', '-z', '--no-renames', since] });
  const untracked = await git({ cwd: worktree, args: ['ls-files', '--others', '--exclude-standard', '-z'] });
  return [...new Set([...splitNul(tracked.stdout), ...splitNul(untracked.stdout)])].sort();
}

/** Where `wipCommit` saved partial work. */
export interface WipCommit {
  branch: string;
  commit: string;
}

/**
 * Saves the worktree's uncommitted work as a commit on `wip/<run>/<task>`
 * (child of HEAD), leaving the task branch, the index and the files as they
 * are. Returns null when there is nothing uncommitted to save.
 */
export async function wipCommit(input: { worktree: string; taskId: string }): Promise<WipCommit | null> {
  const { worktree, taskId } = input;
  const branch = await currentBranch(worktree);
  const task = branch === null ? null : parseTaskBranch(branch);
  if (task === null || task.taskId !== taskId) {
    throw new WorkspaceError({
      code: 'workspace_not_agent_worktree',
      message: `${worktree} is on ${branch ?? 'a detached HEAD'}, expected the task branch agent-team/<run>/${taskId}.`,
    });
  }
  const head = await headCommit(worktree);
  const gitDir = (await git({ cwd: worktree, args: ['rev-parse', '--absolute-git-dir'] })).stdout.trim();
  // A private index: staging into the worktree's own index would change what the agent sees in `git status`.
  const env = { GIT_INDEX_FILE: join(gitDir, `agent-team-wip-index.${process.pid}.${randomBytes(6).toString('hex')}`) };
  try {
    await git({ cwd: worktree, args: ['read-tree', 'HEAD'], env });
    await git({ cwd: worktree, args: ['add', '--all'], env });
    const tree = (await git({ cwd: worktree, args: ['write-tree'], env })).stdout.trim();
    const headTree = (await git({ cwd: worktree, args: ['rev-parse', 'HEAD^{tree}'] })).stdout.trim();
    if (tree === headTree) return null;
    const saved = wipBranch(task);
    // Work saved by an earlier stop stays reachable: it becomes a second parent of the new save.
    const earlier = await resolveRef(worktree, `refs/heads/${saved}`);
    if (earlier !== null && (await git({ cwd: worktree, args: ['rev-parse', `${earlier}^{tree}`] })).stdout.trim() === tree)
      return { branch: saved, commit: earlier };
    const parents = ['-p', head, ...(earlier === null ? [] : ['-p', earlier])];
    const message = taskMessage('Work in progress, saved when the agent stopped', task);
    const commit = (
      await git({ cwd: worktree, args: [...AGENT_COMMIT_ARGS, 'commit-tree', tree, ...parents, '-m', message] })
    ).stdout.trim();
    await git({ cwd: worktree, args: ['update-ref', '-m', 'agent-team: save work in progress', `refs/heads/${saved}`, commit] });
    return { branch: saved, commit };
  } finally {
    await rm(env.GIT_INDEX_FILE, { force: true });
  }
}

/**
 * Puts the work saved on `wip/<run>/<task>` back into a freshly cut worktree, as
 * uncommitted changes (a stopped attempt's worktree was removed, say by clean).
 * Returns the wip commit restored, or null when there is none or it no longer
 * applies (the worktree is then left as it was cut).
 */
export async function restoreWip(input: { worktree: string; runId: string; taskId: string }): Promise<string | null> {
  const commit = await resolveRef(input.worktree, `refs/heads/${wipBranch(input)}`);
  if (commit === null) return null;
  // A save made on top of an earlier one has two parents; its own changes are against the first.
  const parents =
    (await git({ cwd: input.worktree, args: ['rev-list', '--parents', '-n', '1', commit] })).stdout.trim().split(' ').length - 1;
  const mainline = parents > 1 ? ['-m', '1'] : [];
  const picked = await git({
    cwd: input.worktree,
    args: [...AGENT_COMMIT_ARGS, 'cherry-pick', '--no-commit', ...mainline, commit],
    allowFailure: true,
  });
  if (picked.code !== 0) {
    await git({ cwd: input.worktree, args: ['cherry-pick', '--abort'], allowFailure: true });
    await git({ cwd: input.worktree, args: ['reset', '--quiet', '--hard', 'HEAD'] });
    await git({ cwd: input.worktree, args: ['clean', '-fdq'] });
    return null;
  }
  // Back to uncommitted changes, as the agent left them.
  await git({ cwd: input.worktree, args: ['reset', '--quiet'] });
  return commit;
}

/** True when `path` is a worktree directory agent-team manages (directly under `.worktrees/`). */
export function isAgentWorktreePath(root: string, path: string): boolean {
  return dirname(resolve(path)) === join(root, WORKTREES_DIR);
}

/** Names the task in the subject (for `git log --oneline`) and in trailers (for tools). */
function taskMessage(message: string, task: { runId: string; taskId: string } | null): string {
  const text = message.trim() === '' ? 'Agent work' : message.trim();
  if (task === null) return text;
  const [subject = '', ...body] = text.split('\n');
  const named = subject.includes(task.taskId) ? subject : `${task.taskId}: ${subject}`;
  const trailers = `Agent-Team-Run: ${task.runId}\nAgent-Team-Task: ${task.taskId}`;
  return [named, ...body].join('\n') + `\n\n${trailers}`;
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

async function resolveCommit(cwd: string, ref: string): Promise<string> {
  try {
    return await headCommit(cwd, ref);
  } catch (error) {
    if (!(error instanceof WorkspaceError)) throw error;
    throw new WorkspaceError({
      code: 'workspace_unknown_ref',
      message: `Base "${ref}" is not a commit in ${cwd}. Name an existing branch or commit (the integration branch, e.g. main).`,
      cause: error,
    });
  }
}

/** Where `branch` left `baseCommit`: the merge base, which stays put while the base branch moves on. */
async function forkPoint(cwd: string, baseCommit: string, branch: string): Promise<string> {
  const result = await git({ cwd, args: ['merge-base', baseCommit, branch], allowFailure: true });
  if (result.code === 0) return result.stdout.trim();
  throw new WorkspaceError({
    code: 'workspace_unknown_ref',
    message: `${branch} shares no history with ${baseCommit}; it was not cut from this base. Delete the branch or use the base it came from.`,
  });
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
