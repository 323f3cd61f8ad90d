import type { BudgetSnapshot, BudgetStore } from '../../cost/index.js';
import { totalTokens } from '../../providers/index.js';
import type { TeamState } from '../../state/index.js';
import type { TeamContext } from './team-context.js';

function snapshotOf(state: TeamState, agentId: string): BudgetSnapshot {
  const agent = state.agents[agentId];
  return {
    runId: state.run.id,
    book: state.budget,
    agentSpent: { usd: agent?.costUsd ?? 0, tokens: agent === undefined ? 0 : totalTokens(agent.usage) },
    exhausted: state.run.status === 'budget_exceeded',
  };
}

/**
 * The team state as one agent's BudgetGuard sees it: the run's budget book in the
 * state store's atomic update. A refusal that waiting cannot cure is a `budget-block`
 * event, and stops the run when the limit is the run's or the agent is the manager.
 */
export function teamBudgetStore(input: { context: TeamContext; agentId: string }): BudgetStore {
  const { store, config } = input.context;
  const { agentId } = input;
  return {
    read: async () => snapshotOf(await store.read(), agentId),
    update: (fn) =>
      store.update((state, update) =>
        fn({
          ...snapshotOf(state, agentId),
          block: (refusal) => {
            update.emit({ type: 'budget-block', agentId, limit: refusal.limit, detail: refusal.detail });
            // The run stops when it is out of budget, or when its manager is: nobody else can resolve blockers.
            if (!refusal.perAgent || agentId === config.manager.id) {
              state.run.status = 'budget_exceeded';
              state.run.endReason = `budget: ${refusal.limit}: ${refusal.detail}`;
              state.run.updatedAt = update.now;
            }
          },
        }),
      ),
  };
}
