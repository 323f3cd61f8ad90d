import { StorageError } from '../../errors/index.js';
import { getLogger } from '../../observability/index.js';
import { OwnershipLostError } from '../agents/fenced-store.js';
import type { TeamStore } from '../agents/team-context.js';

const log = getLogger('team:run');

/**
 * Renews the run's lease every third of `leaseMs` through the owner's fenced
 * store, until the returned function stops it. When the run turns out to
 * belong to someone else, or the disk refuses the state (StorageError), `onLost`
 * is called once and renewal stops; a failed renewal for any other reason (a
 * lock not obtained in time on a loaded machine) is logged and tried again at
 * the next beat (the lease outlasts two missed beats).
 */
export function keepLease(input: {
  store: TeamStore;
  leaseMs: number;
  onLost: (error: OwnershipLostError | StorageError) => void;
}): () => void {
  const { store, leaseMs } = input;
  let stopped = false;
  const timer = setInterval(
    () => {
      store
        .update((state, context) => {
          if (state.run.owner !== null) state.run.owner.expiresAt = new Date(Date.parse(context.now) + leaseMs).toISOString();
        })
        .catch((error: unknown) => {
          if (stopped) return;
          if (error instanceof OwnershipLostError || error instanceof StorageError) {
            stop();
            input.onLost(error);
            return;
          }
          log.warn('could not renew the run lease', { error: String(error) });
        });
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}
