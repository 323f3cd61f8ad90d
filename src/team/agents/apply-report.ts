import type { TeamConfig } from '../../config/index.js';
import type { LedgerEvent, TeamState, UpdateContext } from '../../state/index.js';
import type { WorkReport } from '../tasks/answer-schemas.js';
import { dispatchReady } from '../tasks/claim-task.js';
import { applyWorkReport } from '../tasks/report-result.js';
import { normalizeOutput } from '../tasks/work-context.js';

/**
 * Applies an agent's report inside an update (loop detection on `normalized`, by
 * default the report itself; to review with `review`), then hands out what became ready.
 */
export function applyAgentReport(input: {
  state: TeamState;
  context: UpdateContext<LedgerEvent>;
  config: TeamConfig;
  agentId: string;
  taskId: string;
  report: WorkReport;
  normalized?: string;
  review?: readonly string[] | undefined;
}): void {
  const { state, context, config } = input;
  applyWorkReport({
    state,
    agentId: input.agentId,
    taskId: input.taskId,
    report: input.report,
    normalized: input.normalized ?? normalizeOutput(input.report),
    managerId: config.manager.id,
    now: context.now,
    emit: context.emit,
    review: input.review,
  });
  dispatchReady({ state, config, now: context.now, emit: context.emit });
}
