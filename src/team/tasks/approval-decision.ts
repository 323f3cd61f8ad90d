/** A person's decision on an approval: what it applies. */
import type { Approval, LedgerEvent, TeamState } from '../../state/index.js';
import { type Resolution, resolutionSchema } from './answer-schemas.js';
import { pendingApprovals } from './approval-request.js';
import { applyResolution } from './apply-resolution.js';
import { AFTER_PLAN, BEFORE_INTEGRATION, checkpointTaskId } from './checkpoints.js';
import { failTask } from './report-result.js';
import { refreshReadiness } from './scheduler.js';
import { releaseReview } from './sla.js';
import { blockerById, taskById } from './task-lookup.js';

type Emit = (event: LedgerEvent) => void;

/** A person's answer to an approval. */
export interface ApprovalDecision {
  readonly decision: 'approve' | 'reject';
  /** With a rejection: the person's own resolution (a blocker) or reason (a checkpoint, a review). */
  readonly note?: string | undefined;
  readonly by: string;
}

/** What deciding did: applied, or why nothing was (no such approval, or it was decided before). */
export type DecisionOutcome =
  | { kind: 'decided'; approval: Approval }
  | { kind: 'unknown' }
  | { kind: 'decided-before'; approval: Approval };

/** Marks a pending approval decided and records the decision. */
function close(approval: Approval, input: { status: Approval['status']; by: string; note: string | null; now: string; emit: Emit }): void {
  approval.status = input.status;
  approval.decidedBy = input.by;
  approval.decidedAt = input.now;
  approval.note = input.note;
  const decision = input.status === 'approved' ? 'approve' : input.status === 'rejected' ? 'reject' : 'withdraw';
  input.emit({ type: 'approval-decide', approvalId: approval.id, decision, by: input.by, note: input.note });
}

/** Withdraws the pending approval of a blocker a person resolved directly. */
export function withdrawBlockerApproval(input: { state: TeamState; blockerId: string; by: string; now: string; emit: Emit }): void {
  for (const approval of pendingApprovals(input.state)) {
    if (approval.blockerId === input.blockerId) close(approval, { ...input, status: 'withdrawn', note: null });
  }
}

/** Withdraws the pending approvals of checkpoints the run no longer has (it was executed again with other checkpoints, or in auto mode). */
export function withdrawDroppedCheckpoints(input: { state: TeamState; by: string; now: string; emit: Emit }): void {
  const { checkpoints } = input.state.run.execution;
  for (const approval of pendingApprovals(input.state)) {
    if (approval.kind === 'checkpoint' && !checkpoints.includes(approval.checkpoint ?? ''))
      close(approval, { ...input, status: 'withdrawn', note: null });
  }
}

/**
 * Applies a person's decision. A resolution approved is applied as the manager's; rejected with a
 * note, the note is applied as the person's answer; rejected without one, the blocker is left for a
 * person (POST .../resolve). A checkpoint approved lets the run on; rejected, the task it guards fails,
 * or for `after_plan` and `before_integration` the run fails. A review approved retries the task; rejected, it fails.
 */
export function decideApproval(input: {
  state: TeamState;
  approvalId: string;
  decision: ApprovalDecision;
  managerId: string;
  now: string;
  emit: Emit;
}): DecisionOutcome {
  const { state, decision, now, emit, managerId } = input;
  const approval = state.run.approvals.find((candidate) => candidate.id === input.approvalId);
  if (approval === undefined) return { kind: 'unknown' };
  if (approval.status !== 'pending') return { kind: 'decided-before', approval: structuredClone(approval) };
  const note = decision.note?.trim() === '' ? null : (decision.note ?? null);
  const approve = decision.decision === 'approve';
  close(approval, { status: approve ? 'approved' : 'rejected', by: decision.by, note, now, emit });
  const base = { state, now, emit, managerId };
  if (approval.kind === 'resolution') decideResolution({ ...base, approval, approve, note, by: decision.by });
  else if (approval.kind === 'checkpoint') decideCheckpoint({ ...base, approval, approve, note, by: decision.by });
  else if (approval.taskId !== null) releaseReview({ state, taskId: approval.taskId, retry: approve, by: decision.by, note, now, emit });
  return { kind: 'decided', approval: structuredClone(approval) };
}

/** A person's decision on one approval, with what applying it needs. */
interface Decision {
  state: TeamState;
  approval: Approval;
  approve: boolean;
  note: string | null;
  by: string;
  managerId: string;
  now: string;
  emit: Emit;
}

function decideResolution(input: Decision): void {
  const { state, approval, approve, note, by } = input;
  const blocker = approval.blockerId === null ? undefined : blockerById(state.blockers, approval.blockerId);
  if (blocker === undefined || blocker.status === 'resolved') return;
  const base = { state, blockerId: blocker.id, managerId: input.managerId, now: input.now, emit: input.emit };
  if (approve) {
    // Stored by our own update; checked again all the same, since a person or another process can touch the state.
    const parsed = resolutionSchema.safeParse(approval.proposal);
    const resolution: Resolution = parsed.success
      ? parsed.data
      : { kind: 'fail', answer: `the manager's stored resolution is not valid: ${parsed.error.issues[0]?.message ?? 'unknown'}` };
    applyResolution({ ...base, resolution, resolver: { kind: 'manager', approvedBy: by } });
    return;
  }
  if (note !== null) {
    applyResolution({ ...base, resolution: { kind: 'answer', answer: note }, resolver: { kind: 'person', by } });
    return;
  }
  blocker.status = 'awaiting_person';
}

function decideCheckpoint(input: Decision): void {
  const { state, approval, approve, by, now, emit } = input;
  const checkpoint = approval.checkpoint ?? '';
  if (approve) {
    refreshReadiness(state, emit);
    return;
  }
  const reason = `rejected at checkpoint ${checkpoint} by ${by}${input.note === null ? '' : `: ${input.note}`}`;
  const taskId = checkpointTaskId(checkpoint);
  if (taskId !== undefined) {
    const task = taskById(state.tasks, taskId);
    if (task !== undefined && (task.status === 'ready' || task.status === 'pending')) {
      failTask({ state, agentId: input.managerId, taskId, reason, now, emit });
    }
    return;
  }
  if (checkpoint === AFTER_PLAN || checkpoint === BEFORE_INTEGRATION) failRun({ state, reason, now, emit });
}

/** Ends the run failed: what has not finished is cancelled. */
function failRun(input: { state: TeamState; reason: string; now: string; emit: Emit }): void {
  const { state, now, emit } = input;
  for (const task of state.tasks) {
    if (task.status === 'done' || task.status === 'failed' || task.status === 'cancelled') continue;
    task.status = 'cancelled';
    task.failure = input.reason;
    task.completedAt = now;
    emit({ type: 'task-end', agentId: 'person', taskId: task.id, status: 'cancelled', detail: input.reason });
  }
  state.run.status = 'failed';
  state.run.endReason = input.reason;
  state.run.endedAt = now;
  emit({ type: 'run-end', runId: state.run.id, status: 'failed', reason: input.reason });
}
