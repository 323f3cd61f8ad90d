import type { SandboxMode } from './command-sandbox.js';
import { conflictedFiles, currentBranch, git, headCommit } from './git.js';
import { runCommand } from './run-command.js';
import { AGENT_COMMIT_ARGS } from './task-branches.js';

/** A finished task's branch, waiting to be merged into the integration branch. */
export interface MergeCandidate {
  taskId: string;
  title: string;
  branch: string;
  /** The task's worktree, where its branch is checked out (used to rebase it). */
  worktree: string;
}

/** What happened to one candidate. */
export type MergeOutcome =
  | { taskId: string; status: 'merged'; commit: string; rebased: boolean; testOutput: string }
  | { taskId: string; status: 'reverted'; testOutput: string; exitCode: number | null }
  | { taskId: string; status: 'conflict'; branch: string; files: string[] }
  | { taskId: string; status: 'ready'; branch: string; commands: string[] };

/** The project's test command, run after every merge. */
export interface TestCommand {
  argv: readonly string[];
  timeoutMs: number;
  outputCapBytes: number;
  /** The tests run the merged code, which agents wrote: confined like their own commands. */
  sandbox: SandboxMode;
}

/** Tries a no-fast-forward merge; on a conflict aborts it and returns the conflicted files. */
async function tryMerge(input: { cwd: string; candidate: MergeCandidate }): Promise<{ ok: true } | { ok: false; files: string[] }> {
  const message = `Merge ${input.candidate.taskId}: ${input.candidate.title}`;
  const result = await git({
    cwd: input.cwd,
    args: [...AGENT_COMMIT_ARGS, 'merge', '--no-ff', '--no-edit', '-m', message, input.candidate.branch],
    allowFailure: true,
  });
  if (result.code === 0) return { ok: true };
  const files = await conflictedFiles(input.cwd);
  await git({ cwd: input.cwd, args: ['merge', '--abort'], allowFailure: true });
  return { ok: false, files };
}

/** Leaves the integration worktree clean at its branch tip: a crash may have left a merge half done. */
async function settleWorktree(cwd: string): Promise<void> {
  await git({ cwd, args: ['merge', '--abort'], allowFailure: true });
  await git({ cwd, args: ['reset', '--quiet', '--hard', 'HEAD'] });
}

/** Rebases the task branch on the integration branch as it is now; false (and left as it was) on a conflict. */
async function rebase(input: { candidate: MergeCandidate; onto: string }): Promise<boolean> {
  // Only ever in the task's own checkout: a rebase anywhere else would rewrite someone else's branch.
  if ((await currentBranch(input.candidate.worktree)) !== input.candidate.branch) return false;
  const result = await git({ cwd: input.candidate.worktree, args: [...AGENT_COMMIT_ARGS, 'rebase', input.onto], allowFailure: true });
  if (result.code === 0) return true;
  await git({ cwd: input.candidate.worktree, args: ['rebase', '--abort'], allowFailure: true });
  return false;
}

/**
 * Merges finished task branches into the integration branch one at a time, each
 * followed by the project's test command. A merge that breaks the tests is undone
 * (the integration branch is reset to before it; the task branch stays). A conflict
 * is retried once after rebasing the task branch on the new integration branch; if
 * it still conflicts, the branch is kept for a person. Without `autoMerge`, every
 * branch is left ready with the exact commands to merge it.
 */
export async function mergeSequentially(input: {
  /** A worktree with the integration branch checked out: merges and tests run there. */
  integrationWorktree: string;
  integrationBranch: string;
  candidates: readonly MergeCandidate[];
  test: TestCommand | null;
  autoMerge: boolean;
  onOutcome?: (outcome: MergeOutcome) => void;
  /** Aborting stops the tests and undoes the merge under test; the task is then left as it was. */
  signal?: AbortSignal | undefined;
}): Promise<MergeOutcome[]> {
  const outcomes: MergeOutcome[] = [];
  const report = (outcome: MergeOutcome): void => {
    outcomes.push(outcome);
    input.onOutcome?.(outcome);
  };
  const cwd = input.integrationWorktree;
  for (const candidate of input.candidates) {
    if (!input.autoMerge) {
      report({
        taskId: candidate.taskId,
        status: 'ready',
        branch: candidate.branch,
        // Run on the person's own branch: the integration branch is checked out in its worktree.
        commands: [`git merge --no-ff ${candidate.branch}`],
      });
      continue;
    }
    input.signal?.throwIfAborted();
    await settleWorktree(cwd);
    const before = await headCommit(cwd);
    let merged = await tryMerge({ cwd, candidate });
    let rebased = false;
    if (!merged.ok) {
      // The integration branch moved since the task started: replay the task on it once.
      rebased = await rebase({ candidate, onto: input.integrationBranch });
      if (rebased) merged = await tryMerge({ cwd, candidate });
      if (!merged.ok) {
        report({ taskId: candidate.taskId, status: 'conflict', branch: candidate.branch, files: merged.files });
        continue;
      }
    }
    let testOutput = '';
    if (input.test !== null) {
      const outcome = await runCommand({
        argv: input.test.argv,
        cwd,
        sandbox: input.test.sandbox,
        timeoutMs: input.test.timeoutMs,
        outputCapBytes: input.test.outputCapBytes,
        signal: input.signal,
      }).catch(async (error: unknown) => {
        // No sandbox to test in: the merge is not kept untested.
        await git({ cwd, args: ['reset', '--quiet', '--hard', before] });
        throw error;
      });
      testOutput = outcome.output;
      if (input.signal?.aborted === true) {
        await git({ cwd, args: ['reset', '--quiet', '--hard', before] });
        input.signal.throwIfAborted();
      }
      if (outcome.exitCode !== 0 || outcome.timedOut) {
        await git({ cwd, args: ['reset', '--hard', before] });
        report({ taskId: candidate.taskId, status: 'reverted', testOutput, exitCode: outcome.exitCode });
        continue;
      }
    }
    report({ taskId: candidate.taskId, status: 'merged', commit: await headCommit(cwd), rebased, testOutput });
  }
  return outcomes;
}
