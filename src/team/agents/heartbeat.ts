import type { TeamConfig } from '../../config/index.js';
import { StorageError } from '../../errors/index.js';
import { getLogger } from '../../observability/index.js';
import type { TeamStore } from './team-context.js';

const log = getLogger('team:role-agent');

/** How long an agent's heartbeat may be silent before the team counts the agent gone: three beats. */
export function heartbeatStaleMs(config: TeamConfig): number {
  return config.orchestrator.coordination.heartbeat_seconds * 3000;
}

/**
 * One heartbeat: through the store's transitions when it has them (no copy of the run to catch up; an agent the run
 * does not have gets none, as in an update()), else in an update().
 */
async function beat(store: TeamStore, agentId: string): Promise<void> {
  if (store.transitions !== undefined) {
    await store.transitions.beat({ agentId });
    return;
  }
  await store.update((state, context) => {
    const agent = state.agents[agentId];
    if (agent !== undefined) agent.heartbeatAt = context.now;
  });
}

/**
 * Writes the agent's heartbeat every `intervalMs` until the returned function stops it.
 * A beat that fails for a passing reason (a lock held too long) is logged and the next
 * one tries again; a state the disk refuses to write (full, read-only, a directory in
 * the way) stops the beats and goes to `onFatal`, once: beating on would only hide it.
 */
export function startHeartbeat(input: {
  store: TeamStore;
  agentId: string;
  intervalMs: number;
  onFatal: (error: StorageError) => void;
}): () => void {
  const { store, agentId } = input;
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  const timer = setInterval(() => {
    beat(store, agentId).catch((error: unknown) => {
      if (!(error instanceof StorageError)) {
        log.warn('heartbeat failed', { agentId, error: String(error) });
        return;
      }
      if (stopped) return;
      stop();
      input.onFatal(error);
    });
  }, input.intervalMs);
  timer.unref();
  return stop;
}
