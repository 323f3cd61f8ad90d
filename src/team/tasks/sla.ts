/**
 * The SLA of a task's attempt (seed 004's timeout escalation): an attempt in progress longer than the
 * run's `execution.slaSeconds`, measured on the store's clock from its claim, is taken back and retried;
 * after SLA_ATTEMPTS such attempts the task is held blocked, the run is flagged for a person's review and
 * a `review` approval asks whether to retry it (approve) or fail it (reject).
 */
import type { LedgerEvent, Task, TeamState } from '../../state/index.js';
import { requestApproval } from './approval-request.js';
import { failTask, releaseTask } from './report-result.js';
import { refreshReadiness } from './scheduler.js';
import { taskById } from './task-lookup.js';

type Emit = (event: LedgerEvent) => void;

/** Attempts a task gets past its SLA before a person reviews it. */
export const SLA_ATTEMPTS = 3;

/** The tasks whose attempt in progress has run past the SLA at `nowMs`. */
export function overdueTasks(state: TeamState, nowMs: number): Task[] {
  const seconds = state.run.execution.slaSeconds;
  if (seconds === null) return [];
  return state.tasks.filter(
    (task) => task.status === 'in_progress' && task.claimedAt !== null && nowMs - Date.parse(task.claimedAt) > seconds * 1000,
  );
}

/**
 * Takes back every attempt past the SLA at `nowMs` (default: `now`, the update's time): retried while the task has
 * missed fewer than SLA_ATTEMPTS times, else held for review. Returns the tasks it took back.
 */
export function enforceSla(input: {
  state: TeamState;
  managerId: string;
  now: string;
  /** The instant the SLA is judged at; default `now`. */
  nowMs?: number | undefined;
  emit: Emit;
}): string[] {
  const { state, now, emit } = input;
  const seconds = state.run.execution.slaSeconds;
  if (seconds === null) return [];
  const overdue = overdueTasks(state, input.nowMs ?? Date.parse(now));
  for (const task of overdue) {
    const agentId = task.assignee ?? 'unknown';
    task.slaMisses += 1;
    const review = task.slaMisses >= SLA_ATTEMPTS;
    emit({ type: 'task-sla', agentId, taskId: task.id, miss: task.slaMisses, slaSeconds: seconds, action: review ? 'review' : 'retry' });
    releaseTask({ state, agentId, taskId: task.id, reason: `attempt ran past the SLA of ${seconds} s`, emit });
    if (!review) continue;
    const detail = `its attempts ran past the SLA of ${seconds} s ${task.slaMisses} times`;
    task.status = 'blocked';
    task.hold = { reason: 'sla', detail, since: now };
    requestApproval({
      state,
      kind: 'review',
      question: `${task.id} (${task.role}): ${detail}. Approve to retry it, reject to fail it.`,
      requestedBy: input.managerId,
      taskId: task.id,
      now,
      emit,
    });
    const taskIds = [...new Set([...(state.run.review?.taskIds ?? []), task.id])];
    state.run.review = { reason: `tasks past their SLA ${SLA_ATTEMPTS} times: ${taskIds.join(', ')}`, at: now, taskIds };
    emit({ type: 'run-review', runId: state.run.id, reason: state.run.review.reason, taskIds });
  }
  return overdue.map((task) => task.id);
}

/** A person's review of a held task: retry it (a fresh count of SLA misses) or fail it; the run's flag goes once nothing is left to review. */
export function releaseReview(input: {
  state: TeamState;
  taskId: string;
  retry: boolean;
  by: string;
  note: string | null;
  now: string;
  emit: Emit;
}): void {
  const { state, now, emit } = input;
  const task = taskById(state.tasks, input.taskId);
  if (task !== undefined && task.hold?.reason === 'sla' && task.status === 'blocked') {
    task.hold = null;
    if (input.retry) {
      task.slaMisses = 0;
      task.status = 'pending';
      refreshReadiness(state, emit);
    } else {
      const reason = `failed on review by ${input.by}${input.note === null ? '' : `: ${input.note}`}`;
      failTask({ state, agentId: 'person', taskId: task.id, reason, now, emit });
    }
  }
  const review = state.run.review;
  if (review === null) return;
  const left = review.taskIds.filter((id) => state.tasks.some((candidate) => candidate.id === id && candidate.hold?.reason === 'sla'));
  state.run.review = left.length === 0 ? null : { ...review, taskIds: left };
}
