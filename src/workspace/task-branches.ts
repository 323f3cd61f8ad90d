/** Names of a task's branches and refs, commit identity, and where a task branch left its base. */
import { git, headCommit } from './git.js';
import { WorkspaceError } from './workspace-error.js';

// -c rather than the user's config: agents must be able to commit on machines with no git identity.
// No signing and no hooks: a passphrase prompt would hang an unattended agent, and the user's hooks
// (which may prompt, block or even push) are not for machine commits; the gates judge the work instead.
/** Commits as agent-team, unsigned, without the user's hooks. */
export const AGENT_COMMIT_ARGS = [
  ...['-c', 'user.name=agent-team', '-c', 'user.email=agent-team@localhost'],
  ...['-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null'],
];

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

/** The ref recording where a task branch's own work starts, when that is not where it left its base. */
export function taskBaseRef(input: { runId: string; taskId: string }): string {
  return `refs/agent-team/base/${input.runId}/${input.taskId}`;
}

/** The commit `ref` names in `cwd`; an unknown ref is a WorkspaceError saying what to name instead. */
export async function resolveCommit(cwd: string, ref: string): Promise<string> {
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
export async function forkPoint(cwd: string, baseCommit: string, branch: string): Promise<string> {
  const result = await git({ cwd, args: ['merge-base', baseCommit, branch], allowFailure: true });
  if (result.code === 0) return result.stdout.trim();
  throw new WorkspaceError({
    code: 'workspace_unknown_ref',
    message: `${branch} shares no history with ${baseCommit}; it was not cut from this base. Delete the branch or use the base it came from.`,
  });
}
