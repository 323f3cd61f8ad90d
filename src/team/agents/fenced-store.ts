import { AgentTeamError } from '../../errors/index.js';
import type { RunOwner, TaskTransitions, TransitionRefusal } from '../../state/index.js';
import type { TeamStore } from './team-context.js';

/** Exit code of a process whose run was taken over (or ended) under it. */
export const OWNERSHIP_LOST_EXIT_CODE = 6;

/** A writer of the run found that the run now belongs to someone else; nothing it wanted to write was written. */
export class OwnershipLostError extends AgentTeamError {
  constructor(input: { runId: string; lease: string; owner: RunOwner | null }) {
    super(
      'run_ownership_lost',
      input.owner === null
        ? `Run ${input.runId} ended or was released while this process worked on it (lease ${input.lease}); it stops writing.`
        : `Run ${input.runId} was taken over by pid ${input.owner.pid} on ${input.owner.host} ` +
            `(agent-team ${input.owner.command}); this process held lease ${input.lease} and stops writing.`,
      { exitCode: OWNERSHIP_LOST_EXIT_CODE },
    );
  }
}

/**
 * The store as one owner of the run (and its agents) writes it: every update
 * first checks, under the store's lock, that the run still belongs to `lease`,
 * and throws OwnershipLostError without writing when it does not. An earlier
 * owner that wakes up late, or its agents, can no longer change the run.
 */
export function fenceStore(store: TeamStore, lease: string): TeamStore {
  return {
    read: () => store.read(),
    exists: () => store.exists(),
    watch: (onChange, scope) => store.watch(onChange, scope),
    close: () => store.close(),
    transitions: store.transitions === undefined ? undefined : fencedTransitions(store.transitions, lease),
    update: (fn) =>
      store.update((state, context) => {
        if (state.run.owner?.lease !== lease) throw new OwnershipLostError({ runId: state.run.id, lease, owner: state.run.owner });
        return fn(state, context);
      }),
  };
}

/** The transitions with the lease: refused, and OwnershipLostError thrown, when the run belongs to someone else. */
function fencedTransitions(transitions: TaskTransitions, lease: string): TaskTransitions {
  return {
    look: (input) => transitions.look(input),
    claim: (input) => owned(transitions.claim({ ...input, lease }), lease),
    reportDone: (report) => owned(transitions.reportDone({ ...report, lease }), lease),
    register: (registration) => owned(transitions.register({ ...registration, lease }), lease),
    beat: (input) => owned(transitions.beat({ ...input, lease }), lease),
  };
}

/** A transition's outcome, or OwnershipLostError when it was refused because the run no longer belongs to `lease`. */
async function owned<T extends { kind: string }>(pending: Promise<T>, lease: string): Promise<T> {
  const outcome = await pending;
  if (isNotOwner(outcome)) throw new OwnershipLostError({ runId: outcome.runId, lease, owner: outcome.owner });
  return outcome;
}

function isNotOwner(outcome: { kind: string }): outcome is Extract<TransitionRefusal, { kind: 'not-owner' }> {
  return outcome.kind === 'not-owner';
}
