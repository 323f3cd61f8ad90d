/** The coordinator's steps that involve a person: asking at checkpoints as the run reaches them, and the SLA of attempts. */
import type { TeamState } from '../../state/index.js';
import type { TeamContext } from '../agents/team-context.js';
import { requestApproval } from '../tasks/approval-request.js';
import { checkpointQuestion, dueCheckpoints } from '../tasks/checkpoints.js';
import { enforceSla, overdueTasks } from '../tasks/sla.js';

/** Records an approval request for each checkpoint the run has reached (judged on `state`, checked again under the lock). */
export async function askDueApprovals(context: TeamContext, state: TeamState): Promise<void> {
  // Most looks find nothing due: no write then, so an idle run does not wake itself.
  if (dueCheckpoints(state).length === 0) return;
  const managerId = context.config.manager.id;
  await context.store.update((draft, update) => {
    for (const checkpoint of dueCheckpoints(draft)) {
      requestApproval({
        state: draft,
        kind: 'checkpoint',
        checkpoint,
        question: checkpointQuestion(draft, checkpoint),
        requestedBy: managerId,
        now: update.now,
        emit: update.emit,
      });
    }
  });
}

/** Takes back attempts past the run's SLA on the store's clock (see enforceSla); writes only when one is overdue. */
export async function enforceSlaNow(context: TeamContext, state: TeamState): Promise<void> {
  const now = context.clock?.() ?? new Date();
  if (overdueTasks(state, now.getTime()).length === 0) return;
  const managerId = context.config.manager.id;
  // Judged on the same instant as the look above (the run's clock is the store's): a look that finds one overdue never writes for nothing.
  const taken = await context.store.update((draft, update) =>
    enforceSla({ state: draft, managerId, now: update.now, nowMs: now.getTime(), emit: update.emit }),
  );
  if (taken.length > 0) context.wake.notify();
}
