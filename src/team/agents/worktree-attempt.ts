import { getLogger } from '../../observability/index.js';
import { askStructured, type LlmRequest } from '../../providers/index.js';
import { workReportSchema } from '../tasks/answer-schemas.js';
import type { ClaimedTask } from '../tasks/claim-task.js';
import type { AgentSession } from './agent-session.js';
import { commitAttempt } from './commit-attempt.js';
import { openTaskWorkspace, type RunWorkspace } from './task-workspace.js';
import { runToolLoop } from './tool-loop.js';
import { withPartialWorkNote } from './work-request.js';

const log = getLogger('team:role-agent');

/**
 * The task in its own worktree: a tool loop with the file tools and the report tool
 * (the request's answer schemas: the model calls a tool every turn, and the report
 * tool ends the loop; a final text report is accepted too), the report validated
 * (with one repair), then a commit of what changed. A stopped attempt keeps its
 * worktree open in the session, so its partial work can be saved.
 */
export async function attemptInWorktree(input: {
  session: AgentSession;
  claimed: ClaimedTask;
  request: LlmRequest;
  signal: AbortSignal;
  workspace: RunWorkspace;
}): Promise<void> {
  const { session, signal } = input;
  const { config } = session.context;
  const { task } = input.claimed;
  const settings = config.orchestrator.workspace;
  const taskWorkspace = await openTaskWorkspace({
    config,
    workspace: input.workspace,
    runId: session.runId,
    agentId: session.agentId,
    taskId: task.id,
    dependencyBranches: input.claimed.dependencyBranches,
    signal,
  });
  session.openWorktrees.set(task.id, taskWorkspace);
  if (taskWorkspace.hasPartialWork) {
    log.info('continuing from partial work', { agentId: session.agentId, taskId: task.id, restoredWip: taskWorkspace.restoredWip });
  }
  await taskWorkspace.status({ status: 'working', progress: 0 });
  const loop = (request: LlmRequest, maxSteps: number): ReturnType<typeof runToolLoop> =>
    runToolLoop({
      caller: session.caller,
      request: { ...request, tools: taskWorkspace.tools },
      execute: async (call) => taskWorkspace.execute(call, signal),
      maxSteps,
      signal,
      onStep: (step) => taskWorkspace.status({ status: 'working', progress: Math.min(90, Math.round((step / settings.max_steps) * 100)) }),
    });
  const request: LlmRequest = taskWorkspace.hasPartialWork ? withPartialWorkNote(input.request) : input.request;
  let firstSteps = 0;
  const { value: report } = await askStructured({
    request,
    schema: workReportSchema,
    what: 'task report',
    // One repair, as for answers without tools: the files stay as they are, only the report is asked again.
    call: async (attempt) => {
      const repair = attempt.metadata.repair === true;
      const result = await loop(attempt, repair ? Math.max(1, settings.max_steps - firstSteps) : settings.max_steps);
      if (!repair) firstSteps = result.steps;
      return { ...result.response, messages: result.messages };
    },
    wording: { rejected: 'report' },
  });
  await commitAttempt({ session, task, taskWorkspace, report });
}
