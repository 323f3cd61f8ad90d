import { BudgetExceededError, InvalidModelOutputError } from '../../errors/index.js';
import { getLogger } from '../../observability/index.js';
import type { Blocker } from '../../state/index.js';
import type { Manager } from '../agents/manager.js';
import type { TeamContext } from '../agents/team-context.js';
import { proposeResolution } from '../tasks/approval-request.js';
import { applyResolution, type ResolutionInput } from '../tasks/apply-resolution.js';
import { dispatchReady } from '../tasks/claim-task.js';
import { blockerById } from '../tasks/task-lookup.js';

const log = getLogger('team:coordinator');

/**
 * The manager's resolution, in the commit that records it: applied at once, or in a manual run held
 * for a person's approval (the blocker waits as awaiting_approval). A blocker a person resolved meanwhile is left as it is.
 */
function settleResolution(input: ResolutionInput): void {
  const { state } = input;
  const live = blockerById(state.blockers, input.blockerId);
  if (live === undefined || live.status === 'resolved') return;
  if (state.run.execution.mode === 'manual') proposeResolution({ ...input, blocker: live });
  else applyResolution(input);
}

/**
 * Has the manager resolve one open blocker and applies the resolution (or, in a manual
 * run, holds it for a person's approval) with the manager's spend in one commit. A second loop on the same task fails it without a
 * call; an invalid answer fails the blocker; interrupted or out of budget, the
 * blocker goes back to open for a resumed run.
 */
export async function resolveBlocker(input: {
  context: TeamContext;
  manager: Manager;
  blocker: Blocker;
  signal: AbortSignal;
}): Promise<void> {
  const { blocker, signal } = input;
  const { store, config } = input.context;
  const managerId = config.manager.id;
  const took = await store.update((draft) => {
    const live = blockerById(draft.blockers, blocker.id);
    if (live?.status !== 'open') return false;
    live.status = 'resolving';
    return true;
  });
  if (!took) return;
  // The shared read-only snapshot (this version or a later one), not a copy of the whole state per blocker.
  const taken = await store.read();
  // A second loop on the same task means the first answer did not help: stop spending on it.
  const repeatedLoop =
    blocker.kind === 'loop' &&
    taken.blockers.some((other) => other.taskId === blocker.taskId && other.kind === 'loop' && other.status === 'resolved');
  try {
    const { resolution, settle } = repeatedLoop
      ? {
          resolution: { kind: 'fail' as const, answer: 'the agent kept repeating itself after a concrete instruction' },
          settle: undefined,
        }
      : await input.manager.resolve({ state: taken, blocker, signal });
    // The manager's spend and its resolution are one commit.
    await store.update((draft, context) => {
      settle?.(draft, context);
      settleResolution({ state: draft, blockerId: blocker.id, resolution, managerId, now: context.now, emit: context.emit });
      dispatchReady({ state: draft, config, now: context.now, emit: context.emit });
    });
  } catch (error) {
    if (error instanceof InvalidModelOutputError) {
      log.warn('manager could not resolve a blocker', { blockerId: blocker.id, problems: error.problems });
      await store.update((draft, context) =>
        settleResolution({
          state: draft,
          blockerId: blocker.id,
          resolution: { kind: 'fail', answer: `the manager's answer was invalid twice: ${error.problems.join('; ')}` },
          managerId,
          now: context.now,
          emit: context.emit,
        }),
      );
      return;
    }
    // Interrupted or out of budget: the blocker goes back to open for a resumed run.
    await store.update((draft) => {
      const live = blockerById(draft.blockers, blocker.id);
      if (live?.status === 'resolving') live.status = 'open';
    });
    if (!(error instanceof BudgetExceededError) && !signal.aborted) throw error;
  }
}
