import type { TaskGrant } from '../../state/index.js';
import { workReportSchema } from '../tasks/answer-schemas.js';
import type { ClaimedTask } from '../tasks/claim-task.js';
import type { AgentSession } from './agent-session.js';
import { withAgentSpan } from './agent-span.js';
import { handleAttemptFailure } from './attempt-failure.js';
import { callStructured } from './structured-call.js';
import { workRequest } from './work-request.js';
import { reportWork } from './work-transitions.js';
import { attemptInWorktree } from './worktree-attempt.js';

/**
 * One attempt at a claimed task: ask for a report (in a worktree with file tools
 * when the run has a workspace) and apply it; a failed attempt is handled (see
 * handleAttemptFailure), never thrown, unless the state itself cannot be written.
 * Returns the tasks the report's commit handed to the agent, when the store's
 * transitions made it (otherwise the agent finds them in the state).
 */
export function attemptTask(input: { session: AgentSession; claimed: ClaimedTask; signal: AbortSignal }): Promise<readonly TaskGrant[]> {
  const { task } = input.claimed;
  const role = task.role;
  return withAgentSpan({ agentId: input.session.agentId, role, purpose: 'work', task }, () => attempt(input));
}

async function attempt(input: { session: AgentSession; claimed: ClaimedTask; signal: AbortSignal }): Promise<readonly TaskGrant[]> {
  const { session, claimed, signal } = input;
  const { store, config, wake } = session.context;
  const { task } = claimed;
  const request = workRequest({
    config,
    agentId: session.agentId,
    systemPrompt: session.systemPrompt,
    claimed,
    inWorkspace: session.workspace !== undefined,
  });
  try {
    if (session.workspace !== undefined) {
      await attemptInWorktree({ session, claimed, request, signal, workspace: session.workspace });
      return [];
    }
    const { value, settle } = await callStructured({
      caller: session.caller,
      request,
      schema: workReportSchema,
      what: 'task report',
      signal,
      deferSettle: true,
    });
    // The call's spend and its report are one commit.
    const handed = await reportWork({ store, config, agentId: session.agentId, task, report: value, settle }).catch(
      async (error: unknown) => {
        // The report could not be applied; the spend must still be recorded.
        if (settle !== undefined) await session.caller.settle(settle);
        throw error;
      },
    );
    return handed ?? [];
  } catch (error) {
    // The queue aborts a job that outlives the task timeout with a TimeoutError.
    const timedOut = signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
    await handleAttemptFailure({ session, taskId: task.id, fence: task.fence, error, timedOut });
    return [];
  } finally {
    wake.notify();
  }
}
