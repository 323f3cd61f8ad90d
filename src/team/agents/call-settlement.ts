import { settleReservation } from '../../cost/index.js';
import type { LlmResponse } from '../../providers/index.js';
import type { LedgerEvent, SpendSettlement, TeamState, UpdateContext } from '../../state/index.js';
import { type OvershootEvent, stopForOvershoot } from './team-budget.js';

/**
 * Records a finished call in the state: budget, agent usage and the `model-call` event. `spend` says the same as
 * data, for a store's transitions to settle in their own statement; undefined when the call also stops the run
 * (an overshoot), which only an update does.
 */
export type SettleCall = ((state: TeamState, context: UpdateContext<LedgerEvent>) => void) & {
  readonly spend?: SpendSettlement | undefined;
};

/**
 * The settlement of one call: its reservation replaced by what it cost (recorded as reported, never cut to the
 * hold: the book shows what the vendor will bill), the agent's usage, cost, calls and heartbeat, the event, and
 * with `overshoot` the run stopped from taking new calls.
 */
export function callSettlement(input: {
  agentId: string;
  reservationId: string;
  usage: LlmResponse['usage'];
  costUsd: number;
  tokens: number;
  event: Extract<LedgerEvent, { type: 'model-call' }>;
  overshoot?: OvershootEvent | undefined;
}): SettleCall {
  const { agentId, usage, costUsd, event, overshoot } = input;
  const settle = (state: TeamState, context: UpdateContext<LedgerEvent>): void => {
    settleReservation({ book: state.budget, reservationId: input.reservationId, usd: costUsd, tokens: input.tokens });
    const agent = state.agents[agentId];
    if (agent !== undefined) {
      agent.usage.inputTokens += usage.inputTokens;
      agent.usage.outputTokens += usage.outputTokens;
      agent.usage.cacheReadTokens += usage.cacheReadTokens;
      agent.usage.cacheWriteTokens += usage.cacheWriteTokens;
      if (usage.reasoningTokens !== undefined) agent.usage.reasoningTokens = (agent.usage.reasoningTokens ?? 0) + usage.reasoningTokens;
      agent.costUsd += costUsd;
      agent.calls += 1;
      agent.heartbeatAt = context.now;
    }
    context.emit(event);
    if (overshoot !== undefined) stopForOvershoot({ state, update: context, event: overshoot });
  };
  if (overshoot !== undefined) return settle;
  return Object.assign(settle, {
    spend: { reservationId: input.reservationId, usd: costUsd, tokens: input.tokens, usage, event },
  });
}
