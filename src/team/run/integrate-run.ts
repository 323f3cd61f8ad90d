import { BudgetExceededError } from '../../errors/index.js';
import { withSpan } from '../../observability/index.js';
import type { Manager } from '../agents/manager.js';
import type { TeamContext } from '../agents/team-context.js';

/**
 * Ends the run once every task has finished: the manager's integration summary
 * (risks, follow-ups), then done or failed. Interrupted or out of budget, the run
 * goes back to running and the error is rethrown; any other failure is written
 * into the summary.
 */
export function integrateRun(input: { context: TeamContext; manager: Manager; signal: AbortSignal }): Promise<void> {
  return withSpan('orchestrator.aggregate', {}, () => integrate(input));
}

async function integrate(input: { context: TeamContext; manager: Manager; signal: AbortSignal }): Promise<void> {
  const { signal } = input;
  const { store } = input.context;
  const state = await store.update((draft, context) => {
    draft.run.status = 'integrating';
    draft.run.updatedAt = context.now;
    return structuredClone(draft);
  });
  let summary: string;
  try {
    const integration = await input.manager.integrate({ state, signal });
    summary = [
      integration.summary,
      ...(integration.risks.length === 0 ? [] : ['', 'Risks:', ...integration.risks.map((risk) => `- ${risk}`)]),
      ...(integration.followUps.length === 0 ? [] : ['', 'Follow-ups:', ...integration.followUps.map((item) => `- ${item}`)]),
    ].join('\n');
  } catch (error) {
    if (error instanceof BudgetExceededError || signal.aborted) {
      await store.update((draft) => {
        if (draft.run.status === 'integrating') draft.run.status = 'running';
      });
      throw error;
    }
    summary = `The integration summary could not be written: ${error instanceof Error ? error.message : String(error)}`;
  }
  await store.update((draft, context) => {
    const failed = draft.tasks.filter((task) => task.status !== 'done');
    draft.run.integrationSummary = summary;
    draft.run.status = failed.length === 0 ? 'done' : 'failed';
    draft.run.endReason =
      failed.length === 0 ? 'all tasks done' : `${failed.length} task(s) not done: ${failed.map((t) => `${t.id} ${t.status}`).join(', ')}`;
    draft.run.endedAt = context.now;
    draft.run.updatedAt = context.now;
    context.emit({ type: 'run-end', runId: draft.run.id, status: draft.run.status, reason: draft.run.endReason });
  });
}
