/** A person's actions on a task's state: answering a blocker, deciding an approval; and the 404 and 409 they may get. */
import type { Approval, TeamState } from '../state/index.js';
import {
  type ApprovalDecision,
  type DecisionOutcome,
  decideApproval,
  type PersonResolutionOutcome,
  resolveBlockerByPerson,
  type TeamStore,
} from '../team/index.js';
import { ServiceError } from './service-error.js';

/** Runs a person's change on the task's store (after the task's own 404 and 409 checks); null when the task has no plan yet. */
export type PersonStoreAccess = <T>(change: (store: TeamStore) => Promise<T>) => Promise<T | null>;

/** Resolves a blocker with a person's answer; 404 for an unknown blocker, 409 once it is resolved. */
export async function resolveAsPerson(input: {
  access: PersonStoreAccess;
  taskId: string;
  blockerId: string;
  resolution: string;
  by: string;
  managerId: string;
}): Promise<void> {
  const { taskId, blockerId } = input;
  const outcome = await input.access((store) =>
    store.update(
      (draft, context): PersonResolutionOutcome =>
        resolveBlockerByPerson({
          state: draft,
          blockerId,
          resolution: input.resolution,
          by: input.by,
          managerId: input.managerId,
          now: context.now,
          emit: context.emit,
        }),
    ),
  );
  if (outcome?.kind === 'resolved') return;
  if (outcome?.kind === 'resolved-before') {
    const { blocker } = outcome;
    throw new ServiceError({
      status: 409,
      code: 'blocker_resolved',
      message: `Blocker "${blockerId}" of task "${taskId}" was resolved by ${blocker.resolvedBy ?? 'someone'} at ${blocker.resolvedAt ?? 'an earlier time'}: ${blocker.resolution ?? ''}`,
    });
  }
  throw new ServiceError({
    status: 404,
    code: 'blocker_not_found',
    message: `Task "${taskId}" has no blocker "${blockerId}"; GET /tasks/${taskId} lists its open blockers.`,
  });
}

/** Applies a person's decision on an approval; the approval and the state after it. 404 for an unknown approval, 409 once it is decided. */
export async function decideAsPerson(input: {
  access: PersonStoreAccess;
  taskId: string;
  approvalId: string;
  decision: ApprovalDecision;
  managerId: string;
}): Promise<{ approval: Approval; state: TeamState }> {
  const { taskId, approvalId } = input;
  const decided = await input.access(async (store) => {
    const outcome: DecisionOutcome = await store.update((draft, context) =>
      decideApproval({
        state: draft,
        approvalId,
        decision: input.decision,
        managerId: input.managerId,
        now: context.now,
        emit: context.emit,
      }),
    );
    return { outcome, state: await store.read() };
  });
  const outcome = decided?.outcome;
  if (outcome?.kind === 'decided' && decided !== null) return { approval: outcome.approval, state: decided.state };
  if (outcome?.kind === 'decided-before') {
    const { approval } = outcome;
    throw new ServiceError({
      status: 409,
      code: 'approval_decided',
      message: `Approval "${approvalId}" of task "${taskId}" is ${approval.status}${approval.decidedBy === null ? '' : ` (by ${approval.decidedBy} at ${approval.decidedAt})`}.`,
    });
  }
  throw new ServiceError({
    status: 404,
    code: 'approval_not_found',
    message: `Task "${taskId}" has no approval "${approvalId}"; GET /tasks/${taskId} lists its approvals.`,
  });
}
