import { BudgetExceededError } from '../../errors/index.js';
import { getLogger } from '../../observability/index.js';
import type { LedgerEvent, TeamState } from '../../state/index.js';
import { claimIsCurrent, releaseTask, retryOrFail } from '../tasks/report-result.js';
import type { AgentSession } from './agent-session.js';
import { taskById } from '../tasks/task-lookup.js';

const log = getLogger('team:role-agent');

/** Saves the uncommitted work of a stopped attempt on `wip/<run>/<task>`, and says so in the state. */
async function saveWip(input: {
  session: AgentSession;
  taskId: string;
  fence: number;
  reason: string;
  status: 'timeout' | 'failed' | 'stopped';
}): Promise<void> {
  const { session, taskId, reason } = input;
  const taskWorkspace = session.openWorktrees.get(taskId);
  if (taskWorkspace === undefined) return;
  session.openWorktrees.delete(taskId);
  try {
    const saved = await taskWorkspace.saveWip();
    await taskWorkspace.status({ status: input.status, progress: 0, commit: saved?.commit ?? null });
    if (saved === null) return;
    await session.context.store.update((draft, context) => {
      if (!claimIsCurrent({ state: draft, agentId: session.agentId, taskId, fence: input.fence, emit: context.emit })) return;
      const live = taskById(draft.tasks, taskId);
      if (live !== undefined) live.wip = saved.branch;
      context.emit({ type: 'task-wip', agentId: session.agentId, taskId, branch: saved.branch, commit: saved.commit, reason });
    });
  } catch (error) {
    log.warn('could not save partial work', { agentId: session.agentId, taskId, error: String(error) });
  }
}

/**
 * What a failed attempt leaves: out of budget, the agent stops and the task goes
 * back; stopped (Ctrl-C), the task goes back; otherwise (an error, a timeout) the
 * task is retried up to max_attempts, then failed. Partial work is saved first.
 */
export async function handleAttemptFailure(input: {
  session: AgentSession;
  taskId: string;
  /** The claim the attempt worked under: a claim taken back meanwhile is not released or failed again. */
  fence: number;
  error: unknown;
  timedOut: boolean;
}): Promise<void> {
  const { session, taskId, fence, error, timedOut } = input;
  const current = (draft: TeamState, emit: (event: LedgerEvent) => void): boolean =>
    claimIsCurrent({ state: draft, agentId: session.agentId, taskId, fence, emit });
  const { store, config } = session.context;
  const { agentId } = session;
  if (error instanceof BudgetExceededError) {
    session.stop('budget-exceeded');
    await saveWip({ session, taskId, fence, reason: 'budget exceeded', status: 'stopped' });
    await store.update((draft, context) => {
      if (current(draft, context.emit)) releaseTask({ state: draft, agentId, taskId, reason: 'budget exceeded', emit: context.emit });
    });
    return;
  }
  if (session.stopSignal.aborted && !timedOut) {
    const reason = session.exitReason() ?? 'interrupted';
    await saveWip({ session, taskId, fence, reason, status: 'stopped' });
    await store.update((draft, context) => {
      if (current(draft, context.emit)) releaseTask({ state: draft, agentId, taskId, reason, emit: context.emit });
    });
    return;
  }
  const reason = timedOut
    ? `no answer within ${config.orchestrator.coordination.task_timeout_seconds} s`
    : error instanceof Error
      ? error.message
      : String(error);
  log.warn('task attempt failed', { agentId, taskId, reason });
  await saveWip({ session, taskId, fence, reason: timedOut ? 'timed out' : 'attempt failed', status: timedOut ? 'timeout' : 'failed' });
  await store.update((draft, context) => {
    if (!current(draft, context.emit)) return;
    retryOrFail({
      state: draft,
      agentId,
      taskId,
      reason,
      maxAttempts: config.orchestrator.coordination.max_attempts,
      now: context.now,
      emit: context.emit,
    });
  });
}
