import type { BudgetSnapshot, BudgetStore } from '../../cost/index.js';
import { totalTokens } from '../../providers/index.js';
import { type LedgerEvent, TERMINAL_RUN_STATUSES, type TeamState, type UpdateContext } from '../../state/index.js';
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

/** A call whose vendor reported more than it held, as the `budget-overshoot` event records it. */
export type OvershootEvent = Extract<LedgerEvent, { type: 'budget-overshoot' }>;

/**
 * Records an overshoot and stops the run from taking new calls, like a budget stop:
 * calls already in flight still finish and settle. A run already ended (or stopped) keeps its reason.
 */
export function stopForOvershoot(input: { state: TeamState; update: UpdateContext<LedgerEvent>; event: OvershootEvent }): void {
  const { state, update, event } = input;
  update.emit(event);
  if (TERMINAL_RUN_STATUSES.has(state.run.status)) return;
  state.run.status = 'budget_exceeded';
  state.run.endReason =
    `budget: a vendor's count exceeded the hold: ${event.provider} ${event.model} reported ${event.reportedTokens} tokens ` +
    `($${event.reportedUsd.toFixed(4)}) where ${event.heldTokens} ($${event.heldUsd.toFixed(4)}) were held; ` +
    `the spend is recorded as reported, over by ${event.overTokens} tokens ($${event.overUsd.toFixed(4)})`;
  state.run.updatedAt = update.now;
}
