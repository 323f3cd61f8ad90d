/**
 * Listing and removing agent worktrees: one at a time once its work is
 * merged, or every leftover of finished (or interrupted) runs at once.
 */
import { basename, join } from 'node:path';
import { git, isClean } from './git.js';
import { WorkspaceError } from './workspace-error.js';
import { isAgentWorktreePath, listWorktrees, parseTaskBranch, realPathIfExists, repositoryRoot, WORKTREES_DIR } from './worktrees.js';

/** An agent worktree of some run. */
export interface RunWorktree {
  path: string;
  branch: string | null;
  runId: string | null;
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
    .filter((entry) => !entry.prunable && (isAgentWorktreePath(root, entry.path) || (entry.branch !== null && parseTaskBranch(entry.branch) !== null)))
    .map((entry) => {
      const task = entry.branch === null ? null : parseTaskBranch(entry.branch);
      const name = basename(entry.path);
      const suffix = task === null ? '' : `-${task.taskId}`;
      const agentId = task !== null && name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : null;
      return { path: entry.path, branch: entry.branch, runId: task?.runId ?? null, taskId: task?.taskId ?? null, agentId, head: entry.head, locked: entry.locked };
    });
}

/** Removes one agent worktree (it must be under `.worktrees/`), and its branch when asked. */
export async function removeWorktree(input: { repo: string; path: string; deleteBranch: boolean; force?: boolean }): Promise<{ path: string; deletedBranch: string | null }> {
  const root = await repositoryRoot(input.repo);
  const path = await realPathIfExists(input.path);
  // Only our own worktrees: a user's hand-made worktree elsewhere is never ours to delete.
  if (!isAgentWorktreePath(root, path)) {
    throw new WorkspaceError({ code: 'workspace_not_agent_worktree', message: `${path} is not an agent worktree (those live in ${join(root, WORKTREES_DIR)}); it was left alone.` });
  }
  const entry = (await listWorktrees(root)).find((candidate) => candidate.path === path);
  if (entry === undefined) {
    throw new WorkspaceError({ code: 'workspace_not_agent_worktree', message: `${path} is not a registered worktree of ${root}; nothing was removed.` });
  }
  if (entry.prunable) await git({ cwd: root, args: ['worktree', 'prune'] });
  else await git({ cwd: root, args: ['worktree', 'remove', ...(input.force === true ? ['--force'] : []), path] });
  if (!input.deleteBranch || entry.branch === null) return { path, deletedBranch: null };
  await git({ cwd: root, args: ['branch', '-D', entry.branch] });
  return { path, deletedBranch: entry.branch };
}

/** What `cleanWorktrees` removed, and what it kept and why. */
export interface CleanReport {
  removedWorktrees: string[];
  deletedBranches: string[];
  kept: { path: string; branch: string | null; reason: string }[];
}

/**
 * Removes the worktrees and `agent-team/<run>/*` branches of the given runs
 * (every run when `runIds` is omitted) and prunes stale worktree entries.
 * A worktree with uncommitted changes is kept, with its branch, unless `force`.
 * `wip/<run>/*` branches hold the only copy of interrupted work and are
 * deleted only with `deleteWip`.
 */
export async function cleanWorktrees(input: { repo: string; runIds?: readonly string[]; force?: boolean; deleteWip?: boolean }): Promise<CleanReport> {
  const root = await repositoryRoot(input.repo);
  const wanted = (runId: string | null): runId is string => runId !== null && (input.runIds === undefined || input.runIds.includes(runId));
  const report: CleanReport = { removedWorktrees: [], deletedBranches: [], kept: [] };
  // Worktrees whose directories an interrupted run (or a person) deleted are forgotten first, freeing their branches.
  await git({ cwd: root, args: ['worktree', 'prune'] });

  for (const worktree of await listRunWorktrees(root)) {
    if (!wanted(worktree.runId)) continue;
    if (worktree.locked) {
      report.kept.push({ path: worktree.path, branch: worktree.branch, reason: 'locked (git worktree unlock it to let clean remove it)' });
      continue;
    }
    if (input.force !== true && !(await isClean(worktree.path))) {
      report.kept.push({ path: worktree.path, branch: worktree.branch, reason: 'has uncommitted changes (commit them, or clean with force to discard them)' });
      continue;
    }
    // --force: the decision to discard was taken above; git would otherwise refuse untracked files.
    await git({ cwd: root, args: ['worktree', 'remove', '--force', worktree.path] });
    report.removedWorktrees.push(worktree.path);
  }

  // A branch still checked out anywhere (a kept worktree, or the user's own checkout) cannot and must not be deleted.
  const checkedOut = new Set((await listWorktrees(root)).map((entry) => entry.branch));
  const refs = await git({ cwd: root, args: ['for-each-ref', '--format=%(refname)', 'refs/heads/agent-team/', 'refs/heads/wip/'] });
  const branches = refs.stdout.split('\n').map((ref) => ref.replace(/^refs\/heads\//, '')).filter((branch) => {
    if (branch === '' || checkedOut.has(branch)) return false;
    const task = parseTaskBranch(branch);
    if (task !== null) return wanted(task.runId);
    const wip = /^wip\/([^/]+)\/[^/]+$/.exec(branch);
    return input.deleteWip === true && wip !== null && wanted(wip[1] ?? null);
  });
  if (branches.length > 0) {
    await git({ cwd: root, args: ['branch', '-D', ...branches] });
    report.deletedBranches.push(...branches);
  }
  await git({ cwd: root, args: ['worktree', 'prune'] });
  return report;
}
