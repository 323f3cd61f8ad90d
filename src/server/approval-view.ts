/** What GET /tasks/{task_id} shows a person who may act: open blockers, approvals and the human review flag. */
import type { Approval, Blocker, TeamState } from '../state/index.js';
import { checkpointTaskId, openBlockers } from '../team/index.js';
import type { ApprovalView, BlockerView, TaskResponse } from './api-schemas.js';
import { subtaskId } from '../team/index.js';

/** The subtask id of a team task id, or null when the run has no such task. */
function subtaskOf(taskId: string, state: TeamState, id: string | null): string | null {
  if (id === null) return null;
  const task = state.tasks.find((candidate) => candidate.id === id);
  return task === undefined ? null : subtaskId(taskId, task);
}

/** A checkpoint as the API names it: a task's is `before:<subtask_id>`. */
export function checkpointName(taskId: string, state: TeamState, checkpoint: string): string {
  const id = checkpointTaskId(checkpoint);
  if (id === undefined) return checkpoint;
  return `before:${subtaskOf(taskId, state, id) ?? id}`;
}

/** One approval as answered. */
export function approvalView(taskId: string, state: TeamState, approval: Approval): ApprovalView {
  const proposal = approval.proposal;
  const role = proposal !== null && typeof proposal['role'] === 'string' ? proposal['role'] : null;
  return {
    approval_id: approval.id,
    kind: approval.kind,
    checkpoint: approval.checkpoint === null ? null : checkpointName(taskId, state, approval.checkpoint),
    subtask_id: subtaskOf(
      taskId,
      state,
      approval.taskId ?? (approval.checkpoint === null ? null : (checkpointTaskId(approval.checkpoint) ?? null)),
    ),
    blocker_id: approval.blockerId,
    question: approval.question,
    proposal: proposal === null ? null : { kind: proposal.kind, resolution: proposal.answer, role },
    status: approval.status,
    requested_at: approval.requestedAt,
    decided_by: approval.decidedBy,
    decided_at: approval.decidedAt,
    note: approval.note,
  };
}

function blockerView(taskId: string, state: TeamState, blocker: Blocker): BlockerView {
  const task = state.tasks.find((candidate) => candidate.id === blocker.taskId);
  const pending = state.run.approvals.find((approval) => approval.status === 'pending' && approval.blockerId === blocker.id);
  return {
    blocker_id: blocker.id,
    subtask_id: task === undefined ? blocker.taskId : subtaskId(taskId, task),
    agent: blocker.raisedBy,
    kind: blocker.kind,
    question: blocker.question,
    context: task === undefined ? '' : `${task.title}\n\n${task.description}`.trim(),
    status: blocker.status as BlockerView['status'],
    approval_id: pending?.id ?? null,
    raised_at: blocker.raisedAt,
  };
}

/** The parts of a task's view about what a person may do. */
export function personView(
  taskId: string,
  state: TeamState | null,
): Pick<TaskResponse, 'execution' | 'blockers' | 'approvals' | 'human_review'> {
  if (state === null) {
    return {
      execution: { mode: 'auto', checkpoints: [], sla_seconds: null },
      blockers: [],
      approvals: [],
      human_review: { flagged: false, reason: null, subtask_ids: [], at: null },
    };
  }
  const { execution, review } = state.run;
  return {
    execution: {
      mode: execution.mode,
      checkpoints: execution.checkpoints.map((checkpoint) => checkpointName(taskId, state, checkpoint)),
      sla_seconds: execution.slaSeconds,
    },
    blockers: openBlockers(state).map((blocker) => blockerView(taskId, state, blocker)),
    approvals: state.run.approvals.map((approval) => approvalView(taskId, state, approval)),
    human_review: {
      flagged: review !== null,
      reason: review?.reason ?? null,
      subtask_ids: (review?.taskIds ?? []).map((id) => subtaskOf(taskId, state, id) ?? id),
      at: review?.at ?? null,
    },
  };
}
