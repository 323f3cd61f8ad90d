import { currentCorrelation, withCorrelation, withSpan } from '../../observability/index.js';
import type { TeamState } from '../../state/index.js';

/**
 * Runs a taken run in its `orchestrator.run` span, the root of its plan, dispatch and aggregation,
 * with the run in the correlation (see withRunCorrelation).
 */
export function withRunSpan<T extends { status: string }>(input: { state: TeamState; resumed: boolean }, fn: () => Promise<T>): Promise<T> {
  const { run } = input.state;
  return withRunCorrelation(input.state, () =>
    withSpan(
      'orchestrator.run',
      {
        attributes: {
          'agent_team.run.resumed': input.resumed,
          'agent_team.run.resumes': run.resumes,
          'agent_team.provider': run.options.provider,
          'agent_team.simulated': run.simulated,
        },
      },
      async (span) => {
        const result = await fn();
        span.setAttributes({ 'agent_team.run.status': result.status });
        return result;
      },
    ),
  );
}

/**
 * Runs `fn` with the run in the correlation: its id, and its task: the service's task id when the
 * service runs it, else the run id (a run started from the command line is its own task).
 */
export function withRunCorrelation<T>(state: TeamState, fn: () => T): T {
  const { id } = state.run;
  return withCorrelation({ taskId: currentCorrelation().taskId ?? id, runId: id }, fn);
}
