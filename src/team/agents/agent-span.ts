import { currentCorrelation, getLogger, withCorrelation, withSpan } from '../../observability/index.js';
import type { Task } from '../../state/index.js';
import { subtaskId } from '../tasks/subtask-id.js';

const log = getLogger('team:agent');

/**
 * Runs an agent's piece of work (a task attempt, a plan, a blocker resolution, a gate review) in an
 * `invoke_agent {agent}` span: its model calls and tools are the span's children. Work on a task
 * also sets the subtask in the correlation, so its log lines and spans carry `subtask_id`; its start
 * and end are logged at info (the service's log shows each subtask's story).
 */
export function withAgentSpan<T>(
  input: { agentId: string; role: string; purpose: string; task?: Pick<Task, 'id' | 'role'> | undefined },
  fn: () => Promise<T>,
): Promise<T> {
  const { agentId, task } = input;
  const { taskId, runId } = currentCorrelation();
  const owner = taskId ?? runId;
  const subtask = task === undefined || owner === undefined ? undefined : subtaskId(owner, task);
  return withCorrelation({ subtaskId: subtask }, () =>
    withSpan(
      `invoke_agent ${agentId}`,
      {
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.agent.id': agentId,
          'gen_ai.agent.name': agentId,
          'agent_team.role': input.role,
          'agent_team.purpose': input.purpose,
        },
      },
      async () => {
        const about = { agentId, purpose: input.purpose, ...(task === undefined ? {} : { taskId: task.id }) };
        log.info('agent work started', about);
        try {
          const result = await fn();
          log.info('agent work ended', { ...about, outcome: 'ok' });
          return result;
        } catch (error) {
          log.info('agent work ended', { ...about, outcome: 'error', error: error instanceof Error ? error.name : String(error) });
          throw error;
        }
      },
    ),
  );
}
