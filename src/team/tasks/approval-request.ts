/**
 * Decisions asked of a person, kept in the run (`run.approvals`) and the ledger (`approval-request`,
 * then `approval-decide`): a checkpoint of a manual run, the manager's resolution of a blocker in a manual
 * run, a task that kept missing its SLA. Each one holds what it guards until it is decided (approval-decision.ts).
 */
import type { Approval, Blocker, LedgerEvent, TeamState } from '../../state/index.js';
import type { Resolution } from './answer-schemas.js';

type Emit = (event: LedgerEvent) => void;

/** The approvals still waiting for a person, in the order they were asked. */
export function pendingApprovals(state: TeamState): Approval[] {
  return state.run.approvals.filter((approval) => approval.status === 'pending');
}

/** True when something waits for a person: a pending approval, or a blocker only a person may resolve. */
export function awaitsPerson(state: TeamState): boolean {
  return (
    state.run.approvals.some((approval) => approval.status === 'pending') ||
    state.blockers.some((blocker) => blocker.status === 'awaiting_person')
  );
}

/** Asks a person: records a pending approval and its `approval-request` event. */
export function requestApproval(input: {
  state: TeamState;
  kind: Approval['kind'];
  question: string;
  requestedBy: string;
  checkpoint?: string | null;
  taskId?: string | null;
  blockerId?: string | null;
  proposal?: Resolution | null;
  now: string;
  emit: Emit;
}): Approval {
  const { state } = input;
  const approval: Approval = {
    id: `A${state.run.approvals.length + 1}`,
    kind: input.kind,
    checkpoint: input.checkpoint ?? null,
    taskId: input.taskId ?? null,
    blockerId: input.blockerId ?? null,
    question: input.question,
    proposal: input.proposal === undefined || input.proposal === null ? null : structuredClone(input.proposal),
    requestedBy: input.requestedBy,
    requestedAt: input.now,
    status: 'pending',
    decidedBy: null,
    decidedAt: null,
    note: null,
  };
  state.run.approvals.push(approval);
  input.emit({
    type: 'approval-request',
    approvalId: approval.id,
    kind: approval.kind,
    agentId: approval.requestedBy,
    checkpoint: approval.checkpoint,
    taskId: approval.taskId,
    blockerId: approval.blockerId,
    question: approval.question,
  });
  return approval;
}

/** The manager's resolution held for a person (manual runs): the blocker waits, its approval says what was proposed. */
export function proposeResolution(input: {
  state: TeamState;
  blocker: Blocker;
  resolution: Resolution;
  managerId: string;
  now: string;
  emit: Emit;
}): Approval {
  const { blocker, resolution } = input;
  blocker.status = 'awaiting_approval';
  return requestApproval({
    ...input,
    kind: 'resolution',
    question: `The manager resolves ${blocker.id} (${blocker.question}) with ${resolution.kind}: ${resolution.answer}`,
    requestedBy: input.managerId,
    taskId: blocker.taskId,
    blockerId: blocker.id,
    proposal: resolution,
  });
}
