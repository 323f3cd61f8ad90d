import { AgentTeamError } from '../../errors/index.js';
import type { RunOwner, TaskTransitions } from '../../state/index.js';
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
    claim: async (input) => {
      const outcome = await transitions.claim({ ...input, lease });
      if (outcome.kind === 'not-owner') throw new OwnershipLostError({ runId: outcome.runId, lease, owner: outcome.owner });
      return outcome;
    },
    reportDone: async (report) => {
      const outcome = await transitions.reportDone({ ...report, lease });
      if (outcome.kind === 'not-owner') throw new OwnershipLostError({ runId: outcome.runId, lease, owner: outcome.owner });
      return outcome;
    },
    register: async (registration) => {
      const outcome = await transitions.register({ ...registration, lease });
      if (outcome.kind === 'not-owner') throw new OwnershipLostError({ runId: outcome.runId, lease, owner: outcome.owner });
      return outcome;
    },
    beat: async (input) => {
      const outcome = await transitions.beat({ ...input, lease });
      if (outcome.kind === 'not-owner') throw new OwnershipLostError({ runId: outcome.runId, lease, owner: outcome.owner });
      return outcome;
    },
  };
}
