/** A task's work as commits: commit everything, the files it changed, wip saves and restoring them. */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { currentBranch, git, GitError, headCommit, resolveRef, splitNul } from './git.js';
import { AGENT_COMMIT_ARGS, forkPoint, parseTaskBranch, resolveCommit, wipBranch } from './task-branches.js';
import { WorkspaceError } from './workspace-error.js';

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

/** Names the task in the subject (for `git log --oneline`) and in trailers (for tools). */
function taskMessage(message: string, task: { runId: string; taskId: string } | null): string {
  const text = message.trim() === '' ? 'Agent work' : message.trim();
  if (task === null) return text;
  const [subject = '', ...body] = text.split('\n');
  const named = subject.includes(task.taskId) ? subject : `${task.taskId}: ${subject}`;
  const trailers = `Agent-Team-Run: ${task.runId}\nAgent-Team-Task: ${task.taskId}`;
  return `${[named, ...body].join('\n')}\n\n${trailers}`;
}
