import { getLogger } from '../../observability/index.js';
import type { TeamStore } from './team-context.js';

const log = getLogger('team:role-agent');

/** Writes the agent's heartbeat every `intervalMs` until the returned function stops it; a failed beat is logged, not fatal. */
export function startHeartbeat(input: { store: TeamStore; agentId: string; intervalMs: number }): () => void {
  const { store, agentId } = input;
  const timer = setInterval(() => {
    store
      .update((state, context) => {
        const agent = state.agents[agentId];
        if (agent !== undefined) agent.heartbeatAt = context.now;
      })
      .catch((error: unknown) => log.warn('heartbeat failed', { agentId, error: String(error) }));
  }, input.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
