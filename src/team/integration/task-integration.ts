import { InvalidModelOutputError } from '../../errors/index.js';
import { getLogger } from '../../observability/index.js';
import type { GateVerdict, Task, TeamState } from '../../state/index.js';
import {
  branchDiff,
  listWorktrees,
  mergeSequentially,
  readWorktreeStatus,
  removeWorktree,
  taskBase,
  writeWorktreeStatus,
  type BranchDiff,
  type MergeOutcome,
  type WorktreeStatusUpdate,
} from '../../workspace/index.js';
import type { GateConfig } from '../../config/index.js';
import { dispatchReady } from '../tasks/claim-task.js';
import { GateReviewer, gatesFor, type GateOutcome } from '../agents/gate-review.js';
import { failTask } from '../tasks/report-result.js';
import { refreshReadiness } from '../tasks/scheduler.js';
import type { TeamContext } from '../agents/team-context.js';
import { openTaskWorkspace, type RunWorkspace } from '../agents/task-workspace.js';
import { taskById } from '../tasks/task-lookup.js';

const log = getLogger('team:integration');

/** The reasons of a round's failed gates, for the task's agent or its failure. */
function failedReasons(verdicts: readonly GateVerdict[]): string {
  return verdicts
    .filter((verdict) => !verdict.passed)
    .map((verdict) => `${verdict.name}: ${verdict.reasons.join('; ') || 'failed without a reason'}`)
    .join(' | ');
}

function mergeDetail(outcome: MergeOutcome, integrationBranch: string): string {
  switch (outcome.status) {
    case 'merged':
      return `into ${integrationBranch} as ${outcome.commit.slice(0, 10)}${outcome.rebased ? ' after a rebase' : ''}`;
    case 'reverted':
      return `undone: the tests failed after the merge (exit ${outcome.exitCode ?? 'signal'})`;
    case 'conflict':
      return `conflicts in ${outcome.files.join(', ')}; branch ${outcome.branch} kept for a person`;
    case 'ready':
      return `passed its gates; to merge it into your branch: ${outcome.commands.join(' && ')}`;
  }
}

/**
 * What happens to a task once its agent reports it done in a workspace run: the
 * configured gates read its diff (a failure sends it back to its agent once, a
 * second one fails it), then its branch is merged into the integration branch,
 * one task at a time, with the test command after each merge. Only then is the
 * task done and its dependents ready, so they start from code that includes it.
 */
export class TaskIntegration {
  readonly #context: TeamContext;
  readonly #workspace: RunWorkspace;
  readonly #gates: GateReviewer;
  // Merges run one at a time, in the order tasks pass their gates.
  #mergeChain: Promise<unknown> = Promise.resolve();

  constructor(context: TeamContext, workspace: RunWorkspace) {
    this.#context = context;
    this.#workspace = workspace;
    this.#gates = new GateReviewer(context);
  }

  /** Takes a task in `review` through its gates and its merge. Leaves it in review when interrupted. */
  async integrate(taskId: string, signal: AbortSignal): Promise<void> {
    const { store, config } = this.#context;
    const state = await store.read();
    const task = taskById(state.tasks, taskId);
    if (task?.status !== 'review' || task.branch === null) return;
    const settings = config.orchestrator.workspace;
    const filesChanged = task.result?.filesChanged ?? [];
    const gates = gatesFor(settings.gates, task, filesChanged);
    const worktree = await this.#worktreeOf(task.branch);
    if (gates.length > 0) {
      const round = Math.max(0, ...task.gates.map((verdict) => verdict.round)) + 1;
      // A task built on unmerged dependencies is judged on its own change, not theirs again.
      const base = (await taskBase({ repo: this.#workspace.repo, runId: state.run.id, taskId })) ?? this.#workspace.integrationBranch;
      const diff = await branchDiff({ repo: this.#workspace.repo, base, branch: task.branch, capBytes: settings.diff_cap_bytes });
      const outcomes = await this.#review({ task, gates, diff, signal });
      const verdicts: GateVerdict[] = outcomes.map((outcome) => ({
        name: outcome.name,
        passed: outcome.passed,
        reasons: outcome.reasons,
        round,
      }));
      const passed = verdicts.every((verdict) => verdict.passed);
      await store.update((draft, context) => {
        for (const outcome of outcomes) outcome.settle?.(draft, context);
        const live = taskById(draft.tasks, taskId);
        if (live?.status !== 'review') return;
        live.gates.push(...verdicts);
        for (const [index, verdict] of verdicts.entries()) {
          context.emit({
            type: 'gate-verdict',
            agentId: outcomes[index]?.agentId ?? config.manager.id,
            taskId,
            gate: verdict.name,
            passed: verdict.passed,
            reasons: verdict.reasons,
            round,
          });
        }
        if (passed) return;
        const earlierFailure = live.gates.some((verdict) => verdict.round < round && !verdict.passed);
        if (earlierFailure) {
          failTask({
            state: draft,
            agentId: config.manager.id,
            taskId,
            reason: `gates failed its change twice: ${failedReasons(verdicts)}`,
            now: context.now,
            emit: context.emit,
          });
        } else {
          // Back to its agent with the reasons (the task message lists them); a new answer is expected, not a loop.
          live.status = 'ready';
          live.lastOutput = null;
          context.emit({ type: 'task-release', agentId: config.manager.id, taskId, reason: `gate(s) failed: ${failedReasons(verdicts)}` });
          dispatchReady({ state: draft, config, now: context.now, emit: context.emit });
        }
      });
      this.#context.wake.notify();
      if (worktree !== null) {
        const gateResults = verdicts.map((verdict) => ({ name: verdict.name, passed: verdict.passed, reasons: verdict.reasons }));
        await this.#updateStatus(worktree, passed ? { gates: gateResults } : { gates: gateResults, status: 'failed' });
      }
      if (!passed) return;
    }
    await this.#merge(taskId, task, worktree, signal);
  }

  async #review(input: { task: Task; gates: readonly GateConfig[]; diff: BranchDiff; signal: AbortSignal }): Promise<GateOutcome[]> {
    try {
      return await this.#gates.review(input);
    } catch (error) {
      if (!(error instanceof InvalidModelOutputError)) throw error;
      // A gate that cannot give a verdict has not passed the change: it is not merged unreviewed.
      log.warn('a gate gave no valid verdict', { taskId: input.task.id, problems: error.problems });
      return input.gates.map((gate) => ({
        name: gate.name,
        agentId: gate.agent ?? this.#context.config.manager.id,
        passed: false,
        reasons: [`the ${gate.name} gate gave no valid verdict twice (${error.problems.join('; ')})`],
      }));
    }
  }

  async #merge(taskId: string, task: Task, worktree: string | null, signal: AbortSignal): Promise<void> {
    const run = this.#mergeChain.then(async () => this.#mergeNow(taskId, task, worktree ?? (await this.#reopen(task)), signal));
    this.#mergeChain = run.catch(() => undefined);
    await run;
  }

  /** Checks the task branch out again (its worktree was cleaned away), for a rebase. */
  async #reopen(task: Task): Promise<string> {
    const state = await this.#context.store.read();
    const reopened = await openTaskWorkspace({
      config: this.#context.config,
      workspace: this.#workspace,
      runId: state.run.id,
      agentId: task.assignee ?? this.#context.config.manager.id,
      taskId: task.id,
    });
    return reopened.path;
  }

  async #mergeNow(taskId: string, task: Task, worktree: string, signal: AbortSignal): Promise<void> {
    const { store, config } = this.#context;
    const settings = config.orchestrator.workspace;
    const branch = task.branch as string;
    const [outcome] = await mergeSequentially({
      integrationWorktree: this.#workspace.integrationWorktree,
      integrationBranch: this.#workspace.integrationBranch,
      candidates: [{ taskId, title: task.title, branch, worktree }],
      test:
        settings.test_command === null
          ? null
          : {
              argv: settings.test_command,
              timeoutMs: settings.command_timeout_seconds * 1000,
              outputCapBytes: settings.output_cap_bytes,
              sandbox: settings.sandbox,
            },
      autoMerge: config.orchestrator.coordination.auto_merge,
      signal,
    });
    if (outcome === undefined) return;
    const detail = mergeDetail(outcome, this.#workspace.integrationBranch);
    await store.update((draft, context) => {
      const live = taskById(draft.tasks, taskId);
      if (live?.status !== 'review') return;
      live.merge = `${outcome.status}: ${detail}`;
      context.emit({ type: 'task-merge', taskId, status: outcome.status, detail });
      if (outcome.status === 'merged' || outcome.status === 'ready') {
        live.status = 'done';
        live.completedAt = context.now;
        context.emit({
          type: 'task-end',
          agentId: live.assignee ?? config.manager.id,
          taskId,
          status: 'done',
          detail: outcome.status === 'merged' ? 'merged, tests green' : 'passed its gates; branch ready to merge',
        });
        refreshReadiness(draft, context.emit);
        dispatchReady({ state: draft, config, now: context.now, emit: context.emit });
        return;
      }
      const reason =
        outcome.status === 'reverted'
          ? `merge undone, the tests failed after it:\n${outcome.testOutput.slice(-2000)}`
          : `merge conflict in ${outcome.files.join(', ')} even after a rebase; branch ${outcome.branch} kept for a person`;
      failTask({ state: draft, agentId: config.manager.id, taskId, reason, now: context.now, emit: context.emit });
    });
    this.#context.wake.notify();
    if (outcome.status === 'merged' || outcome.status === 'ready') {
      // Its work is on its branch (and merged): the checkout is no longer needed. A failed task keeps it for debugging.
      await removeWorktree({ repo: this.#workspace.repo, path: worktree, deleteBranch: false, force: true }).catch((error: unknown) =>
        log.warn('could not remove a merged task worktree', { taskId, worktree, error: String(error) }),
      );
    } else {
      await this.#updateStatus(worktree, { status: 'failed' });
    }
  }

  /** Where the task branch is checked out, or null when its worktree is gone. */
  async #worktreeOf(branch: string): Promise<string | null> {
    const entry = (await listWorktrees(this.#workspace.repo)).find((candidate) => candidate.branch === branch && !candidate.prunable);
    return entry?.path ?? null;
  }

  /** Updates the agent's `agent-status.json`, when there is one; a write error is logged, never the task's failure. */
  async #updateStatus(worktree: string, change: Partial<WorktreeStatusUpdate>): Promise<void> {
    const current = await readWorktreeStatus(worktree).catch(() => null);
    if (current === null) return;
    await writeWorktreeStatus({ worktree, status: { ...current, ...change } }).catch((error: unknown) =>
      log.warn('could not update agent-status.json', { worktree, error: String(error) }),
    );
  }
}

/** Tasks waiting for their gates and merge, in plan order. */
export function tasksInReview(state: TeamState): Task[] {
  return state.tasks.filter((task) => task.status === 'review');
}
