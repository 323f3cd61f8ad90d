/**
 * Listing and removing agent worktrees: one at a time once its work is
 * merged, or every leftover of finished (or interrupted) runs at once.
 * The rule of cleaning: never destroy a commit or a change that exists
 * nowhere else, unless forced.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { git, isClean, resolveRef } from './git.js';
import { WorkspaceError } from './workspace-error.js';
import { parseTaskBranch, taskBaseRef, wipBranch } from './task-branches.js';
import { wipCommit } from './task-commits.js';
import { isAgentWorktreePath, listWorktrees, realPathIfExists, repositoryRoot, WORKTREES_DIR } from './worktrees.js';

// The last segment of a run's integration branch, `agent-team/<run>/integration`.
const INTEGRATION = 'integration';

/** An agent worktree of some run. */
export interface RunWorktree {
  path: string;
  branch: string | null;
  /** A task's worktree, or the run's integration worktree `.worktrees/integration-<run>`. */
  kind: 'task' | 'integration';
  runId: string | null;
  /** Null for the integration worktree. */
  taskId: string | null;
  /** From the directory name `<agent>-<task>`. */
  agentId: string | null;
  head: string | null;
  locked: boolean;
}

/** Agent worktrees of the repository: under `.worktrees/` or on an `agent-team/<run>/<task>` branch, never the main one. */
export async function listRunWorktrees(repo: string): Promise<RunWorktree[]> {
  const root = await repositoryRoot(repo);
  const entries = (await listWorktrees(root)).slice(1);
  return entries
    .filter(
      (entry) =>
        !entry.prunable && (isAgentWorktreePath(root, entry.path) || (entry.branch !== null && parseTaskBranch(entry.branch) !== null)),
    )
    .map((entry) => {
      const name = basename(entry.path);
      const task = entry.branch === null ? null : parseTaskBranch(entry.branch);
      // A detached integration worktree (someone checked out a commit there) still names its run.
      const detachedRun = entry.branch === null ? (/^integration-(.+)$/.exec(name)?.[1] ?? null) : null;
      const base = { path: entry.path, branch: entry.branch, head: entry.head, locked: entry.locked };
      if (task?.taskId === INTEGRATION || detachedRun !== null) {
        return { ...base, kind: 'integration' as const, runId: task?.runId ?? detachedRun, taskId: null, agentId: null };
      }
      const suffix = task === null ? '' : `-${task.taskId}`;
      const agentId = task !== null && name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : null;
      return { ...base, kind: 'task' as const, runId: task?.runId ?? null, taskId: task?.taskId ?? null, agentId };
    });
}

/** The runs that left worktrees, `agent-team/<run>/*` branches or `wip/<run>/*` branches in the repository, sorted. */
export async function listRunIds(repo: string): Promise<string[]> {
  const root = await repositoryRoot(repo);
  const ids = new Set<string>();
  for (const worktree of await listRunWorktrees(root)) if (worktree.runId !== null) ids.add(worktree.runId);
  for (const { branch } of await runBranches(root)) {
    const parsed = parseRunBranch(branch);
    if (parsed !== null) ids.add(parsed.runId);
  }
  return [...ids].sort();
}

/** Removes one agent worktree (it must be under `.worktrees/`), and its branch when asked. */
export async function removeWorktree(input: {
  repo: string;
  path: string;
  deleteBranch: boolean;
  force?: boolean;
}): Promise<{ path: string; deletedBranch: string | null }> {
  const root = await repositoryRoot(input.repo);
  const path = await realPathIfExists(input.path);
  // Only our own worktrees: a user's hand-made worktree elsewhere is never ours to delete.
  if (!isAgentWorktreePath(root, path)) {
    throw new WorkspaceError({
      code: 'workspace_not_agent_worktree',
      message: `${path} is not an agent worktree (those live in ${join(root, WORKTREES_DIR)}); it was left alone.`,
    });
  }
  const entry = (await listWorktrees(root)).find((candidate) => candidate.path === path);
  if (entry === undefined) {
    throw new WorkspaceError({
      code: 'workspace_not_agent_worktree',
      message: `${path} is not a registered worktree of ${root}; nothing was removed.`,
    });
  }
  if (entry.prunable) await git({ cwd: root, args: ['worktree', 'prune'] });
  else await git({ cwd: root, args: ['worktree', 'remove', ...(input.force === true ? ['--force'] : []), path] });
  if (!input.deleteBranch || entry.branch === null) return { path, deletedBranch: null };
  await git({ cwd: root, args: ['branch', '-D', entry.branch] });
  return { path, deletedBranch: entry.branch };
}

/** Uncommitted work of a task worktree, saved on its `wip/<run>/<task>` branch before the worktree was removed. */
export interface SavedWip {
  path: string;
  branch: string;
  /** The commit holding the work; null in a dry run when it would be a new commit. */
  commit: string | null;
}

/** A worktree (path) or a branch that `cleanWorktrees` left in place, and why. */
export interface KeptItem {
  path: string | null;
  branch: string | null;
  reason: string;
}

/** What `cleanWorktrees` removed, saved and deleted (or would, in a dry run), and what it kept and why. */
export interface CleanReport {
  removedWorktrees: string[];
  savedWip: SavedWip[];
  deletedBranches: string[];
  kept: KeptItem[];
}

/** What `cleanWorktrees` may touch. */
export interface CleanOptions {
  repo: string;
  /** Only these runs; every run when omitted. */
  runIds?: readonly string[] | undefined;
  /** Discard uncommitted changes without saving them, and delete unmerged task and integration branches. */
  force?: boolean | undefined;
  /** Delete `wip/<run>/*` branches (saved partial work) too. */
  deleteWip?: boolean | undefined;
  /** Delete `agent-team/<run>/integration` too, once it is merged into another branch (any, with `force`). */
  deleteIntegration?: boolean | undefined;
  /** Report what would happen, changing nothing. */
  dryRun?: boolean | undefined;
}

/**
 * Removes the worktrees under `.worktrees/` of the given runs (every run when
 * `runIds` is omitted); uncommitted changes of a task worktree are first saved
 * on `wip/<run>/<task>` (unless `force`). Deletes task branches merged into the
 * run's integration branch (all of them with `force`). The integration branch
 * and `wip/<run>/*` are deleted only when asked; branches checked out anywhere,
 * locked or detached worktrees and worktrees outside `.worktrees/` are kept.
 */
export async function cleanWorktrees(input: CleanOptions): Promise<CleanReport> {
  const root = await repositoryRoot(input.repo);
  const dryRun = input.dryRun === true;
  const force = input.force === true;
  const wanted = (runId: string | null): runId is string => runId !== null && (input.runIds === undefined || input.runIds.includes(runId));
  const report: CleanReport = { removedWorktrees: [], savedWip: [], deletedBranches: [], kept: [] };
  // Worktrees whose directories an interrupted run (or a person) deleted are forgotten first, freeing their branches.
  if (!dryRun) await git({ cwd: root, args: ['worktree', 'prune'] });

  for (const worktree of await listRunWorktrees(root)) {
    if (!isAgentWorktreePath(root, worktree.path)) {
      if (wanted(worktree.runId)) keep(report, worktree, `outside ${WORKTREES_DIR}/: agent-team removes only the worktrees it created`);
      continue;
    }
    if (worktree.runId === null) {
      // A worktree in our directory that names no run is not ours to judge; said once, when cleaning every run.
      if (input.runIds !== undefined) continue;
      const why =
        worktree.branch === null
          ? detachedReason(worktree.path)
          : `on ${worktree.branch}, not an agent-team branch (\`git worktree remove ${worktree.path}\` it yourself)`;
      keep(report, worktree, why);
      continue;
    }
    if (!wanted(worktree.runId)) continue;
    const why = reasonToKeep(worktree);
    if (why !== null) {
      keep(report, worktree, why);
      continue;
    }
    if (worktree.kind === 'task' && !force) {
      const saved = await saveUncommitted({ root, worktree, dryRun });
      if (typeof saved === 'string') {
        keep(report, worktree, saved);
        continue;
      }
      if (saved !== null) report.savedWip.push(saved);
    }
    if (!dryRun) {
      // An interrupted merge is no agent's work: the integration branch still points at its last good merge.
      if (worktree.kind === 'integration' && (await resolveRef(worktree.path, 'MERGE_HEAD')) !== null) {
        await git({ cwd: worktree.path, args: ['merge', '--abort'], allowFailure: true });
      }
      // --force: what was worth keeping is saved above; git would otherwise refuse untracked files.
      await git({ cwd: root, args: ['worktree', 'remove', '--force', worktree.path] });
    }
    report.removedWorktrees.push(worktree.path);
  }

  await cleanBranches({ root, input, wanted, report });
  if (!dryRun) await git({ cwd: root, args: ['worktree', 'prune'] });
  return report;
}

/** Why a worktree of a selected run must stay whatever the options, or null. */
function reasonToKeep(worktree: RunWorktree): string | null {
  if (worktree.locked) return `locked (run \`git worktree unlock ${worktree.path}\` to let clean remove it)`;
  if (worktree.branch === null) return detachedReason(worktree.path);
  return null;
}

// A detached HEAD (a crashed rebase, or a person's checkout) may hold commits that are on no branch at all.
function detachedReason(path: string): string {
  return `on a detached HEAD, whose commits may be on no branch (check out a branch there, or \`git worktree remove ${path}\` yourself)`;
}

/**
 * Saves the uncommitted changes of a task worktree on its wip branch (in a dry
 * run only works out what would be saved). Returns what was saved, null when
 * there was nothing to save, or the reason to keep the worktree instead.
 */
async function saveUncommitted(input: { root: string; worktree: RunWorktree; dryRun: boolean }): Promise<SavedWip | string | null> {
  const { worktree } = input;
  if (worktree.runId === null || worktree.taskId === null || (await isClean(worktree.path))) return null;
  const tree = await pendingTree(worktree.path);
  if (tree === (await git({ cwd: worktree.path, args: ['rev-parse', 'HEAD^{tree}'] })).stdout.trim()) return null;
  const branch = wipBranch({ runId: worktree.runId, taskId: worktree.taskId });
  const existing = await resolveRef(input.root, `refs/heads/${branch}`);
  if (existing !== null) {
    if ((await git({ cwd: input.root, args: ['rev-parse', `${existing}^{tree}`] })).stdout.trim() === tree)
      return { path: worktree.path, branch, commit: existing };
    return (
      `has uncommitted changes, and ${branch} already holds other saved work that saving would replace: ` +
      'commit or discard the changes, or clean with --force to discard them'
    );
  }
  if (input.dryRun) return { path: worktree.path, branch, commit: null };
  const saved = await wipCommit({ worktree: worktree.path, taskId: worktree.taskId });
  return saved === null ? null : { path: worktree.path, branch: saved.branch, commit: saved.commit };
}

/**
 * The tree `wipCommit` would save: the worktree's files staged in a private
 * index, with new objects written to a scratch directory so that the
 * repository itself is not touched (dry runs change nothing).
 */
async function pendingTree(worktree: string): Promise<string> {
  const objects = resolve(worktree, (await git({ cwd: worktree, args: ['rev-parse', '--git-path', 'objects'] })).stdout.trim());
  const scratch = await mkdtemp(join(tmpdir(), 'agent-team-clean-'));
  const env = {
    GIT_INDEX_FILE: join(scratch, 'index'),
    GIT_OBJECT_DIRECTORY: join(scratch, 'objects'),
    GIT_ALTERNATE_OBJECT_DIRECTORIES: objects,
  };
  try {
    await mkdir(env.GIT_OBJECT_DIRECTORY);
    await git({ cwd: worktree, args: ['read-tree', 'HEAD'], env });
    await git({ cwd: worktree, args: ['add', '--all'], env });
    return (await git({ cwd: worktree, args: ['write-tree'], env })).stdout.trim();
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Decides, and unless a dry run carries out, the fate of every branch of the selected runs. */
async function cleanBranches(input: {
  root: string;
  input: CleanOptions;
  wanted: (runId: string | null) => runId is string;
  report: CleanReport;
}): Promise<void> {
  const { root, report } = input;
  const { force, deleteWip, deleteIntegration, dryRun } = input.input;
  const removed = new Set(report.removedWorktrees);
  const keptPaths = new Set(report.kept.map((item) => item.path));
  // A branch still checked out anywhere (a kept worktree, or the user's own checkout) cannot and must not be deleted.
  const checkedOut = new Map<string, string>();
  for (const entry of await listWorktrees(root)) {
    if (entry.branch !== null && !entry.prunable && !removed.has(entry.path)) checkedOut.set(entry.branch, entry.path);
  }
  // A dry run saved nothing, but must judge the wip branches the real run would have created.
  const unsaved = report.savedWip.filter((saved) => saved.commit === null).map((saved) => ({ branch: saved.branch, commit: '' }));
  // Integration branches last: whether one may go depends on what else holds its commits.
  const rank = (branch: string): string => `${parseRunBranch(branch)?.kind === 'integration' ? 1 : 0} ${branch}`;
  const branches = [...(await runBranches(root)), ...unsaved]
    .filter(({ branch }) => input.wanted(parseRunBranch(branch)?.runId ?? null))
    .sort((a, b) => (rank(a.branch) < rank(b.branch) ? -1 : 1));
  const toDelete: string[] = [];
  const decide = (branch: string, reason: string | null): void => {
    if (reason === null) toDelete.push(branch);
    else report.kept.push({ path: null, branch, reason });
  };
  // The worktrees are gone, so these branches are now the only copy of their uncommitted changes.
  const savedNow = new Map(report.savedWip.map((saved) => [saved.branch, saved.path]));
  for (const { branch, commit } of branches) {
    const parsed = parseRunBranch(branch);
    if (parsed === null) continue;
    const at = checkedOut.get(branch);
    if (at !== undefined) {
      if (!keptPaths.has(at)) report.kept.push({ path: null, branch, reason: `checked out in ${at}` });
      continue;
    }
    if (parsed.kind === 'task') decide(branch, force === true ? null : await unmergedReason({ root, commit, runId: parsed.runId }));
    else if (parsed.kind === 'wip') {
      const from = savedNow.get(branch);
      if (from !== undefined && deleteWip === true)
        decide(branch, `holds the uncommitted changes of ${from}, removed by this clean (clean with --wip again to delete them)`);
      else decide(branch, deleteWip === true ? null : 'saved work of a stopped agent, found nowhere else (clean with --wip to delete it)');
    } else if (deleteIntegration !== true) {
      decide(branch, `the run's merged result (merge it into your branch; clean with --integration deletes it once merged)`);
    } else if (force === true || (await mergedElsewhere({ root, commit }))) {
      decide(branch, null);
    } else {
      decide(
        branch,
        `not merged into any of your branches: it holds the run's result, found nowhere else (git merge ${branch}, or clean with --integration --force)`,
      );
    }
  }
  if (dryRun === true) {
    report.deletedBranches.push(...toDelete);
    return;
  }
  for (const branch of toDelete) {
    const result = await git({ cwd: root, args: ['branch', '-D', branch], allowFailure: true });
    if (result.code === 0) report.deletedBranches.push(branch);
    else report.kept.push({ path: null, branch, reason: `git branch -D failed: ${result.stderr.trim()}` });
    // The bookmark of where the task's own work started goes with its branch.
    const task = parseTaskBranch(branch);
    if (result.code === 0 && task !== null && task.taskId !== INTEGRATION) {
      await git({ cwd: root, args: ['update-ref', '-d', taskBaseRef(task)], allowFailure: true });
    }
  }
}

/** Why a task branch must stay (it is not merged into its run's integration branch), or null when it is merged. */
async function unmergedReason(input: { root: string; commit: string; runId: string }): Promise<string | null> {
  const integration = `agent-team/${input.runId}/${INTEGRATION}`;
  if ((await resolveRef(input.root, `refs/heads/${integration}`)) === null) {
    return `not merged: ${integration} does not exist, so it may hold work found nowhere else (merge it, or clean with --force)`;
  }
  const result = await git({
    cwd: input.root,
    args: ['merge-base', '--is-ancestor', input.commit, `refs/heads/${integration}`],
    allowFailure: true,
  });
  if (result.code === 0) return null;
  if (result.code === 1) return `not merged into ${integration}: it holds work found nowhere else (merge it, or clean with --force)`;
  return `could not tell whether it is merged into ${integration} (${result.stderr.trim()}); kept to be safe`;
}

/** True when a branch, remote branch or tag other than agent-team's own contains `commit`. */
async function mergedElsewhere(input: { root: string; commit: string }): Promise<boolean> {
  const { stdout } = await git({
    cwd: input.root,
    args: ['for-each-ref', `--contains=${input.commit}`, '--format=%(refname)', 'refs/heads/', 'refs/remotes/', 'refs/tags/'],
  });
  // agent-team's own branches are what clean deletes; they do not count as a home for the run's result.
  return stdout.split('\n').some((ref) => ref !== '' && !ref.startsWith('refs/heads/agent-team/') && !ref.startsWith('refs/heads/wip/'));
}

/** Local `agent-team/*` and `wip/*` branches with their tips. */
async function runBranches(root: string): Promise<{ branch: string; commit: string }[]> {
  const { stdout } = await git({
    cwd: root,
    args: ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/agent-team/', 'refs/heads/wip/'],
  });
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [ref = '', commit = ''] = line.split(' ');
      return { branch: ref.replace(/^refs\/heads\//, ''), commit };
    });
}

/** The run of an `agent-team/<run>/<task>`, `agent-team/<run>/integration` or `wip/<run>/<task>` branch. */
function parseRunBranch(branch: string): { runId: string; kind: 'task' | 'integration' | 'wip' } | null {
  const task = parseTaskBranch(branch);
  if (task !== null) return { runId: task.runId, kind: task.taskId === INTEGRATION ? 'integration' : 'task' };
  const wip = /^wip\/([^/]+)\/[^/]+$/.exec(branch);
  return wip?.[1] === undefined ? null : { runId: wip[1], kind: 'wip' };
}

function keep(report: CleanReport, worktree: RunWorktree, reason: string): void {
  report.kept.push({ path: worktree.path, branch: worktree.branch, reason });
}
