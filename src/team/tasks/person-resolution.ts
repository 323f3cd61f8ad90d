/** A person answers an agent's blocker directly (the HTTP API, a dashboard): applied exactly as the manager's answer would be. */
import type { Blocker, LedgerEvent, TeamState } from '../../state/index.js';
import { withdrawBlockerApproval } from './approval-decision.js';
import { applyResolution } from './apply-resolution.js';
import { blockerById } from './task-lookup.js';

/** What a person's resolution did: resolved the blocker, or why not (no such blocker, or resolved before). */
export type PersonResolutionOutcome =
  | { kind: 'resolved'; blocker: Blocker }
  | { kind: 'unknown' }
  | { kind: 'resolved-before'; blocker: Blocker };

/**
 * Resolves a blocker with a person's answer: the blocked task goes back to ready, its agent gets the
 * answer with its next attempt, and the ledger's `blocker-resolve` says `resolver: "person"` and `by`.
 * Whatever the manager was doing with it (a resolution under way, one waiting for approval) is superseded.
 */
export function resolveBlockerByPerson(input: {
  state: TeamState;
  blockerId: string;
  resolution: string;
  by: string;
  managerId: string;
  now: string;
  emit: (event: LedgerEvent) => void;
}): PersonResolutionOutcome {
  const { state, blockerId, by, now, emit } = input;
  const blocker = blockerById(state.blockers, blockerId);
  if (blocker === undefined) return { kind: 'unknown' };
  if (blocker.status === 'resolved') return { kind: 'resolved-before', blocker: structuredClone(blocker) };
  withdrawBlockerApproval({ state, blockerId, by, now, emit });
  applyResolution({
    state,
    blockerId,
    resolution: { kind: 'answer', answer: input.resolution },
    managerId: input.managerId,
    resolver: { kind: 'person', by },
    now,
    emit,
  });
  return { kind: 'resolved', blocker: structuredClone(blocker) };
}

/** The blockers a person can answer now, in the order they were raised. */
export function openBlockers(state: TeamState): Blocker[] {
  return state.blockers.filter((blocker) => blocker.status !== 'resolved');
}
