import type { TeamConfig } from '../../config/index.js';
import { composeTaskMessage, dependencyEntry, SHORTENED_RESULTS_NOTE } from '../../prompts/index.js';
import type { LlmRequest, SimWorkContext } from '../../providers/index.js';
import type { ClaimedTask } from '../tasks/claim-task.js';
import { ANSWER_NAMES, WORK_ANSWERS } from '../tasks/answer-schemas.js';
import { memberOf } from '../tasks/roster-member.js';
import { taskFacts } from '../tasks/work-context.js';

/**
 * The request for one attempt at a claimed task: the agent's system prompt, the
 * task message (dependencies, resolutions, gate feedback), and the facts about the
 * task a simulating provider answers from.
 */
export function workRequest(input: {
  config: TeamConfig;
  agentId: string;
  systemPrompt: string;
  claimed: ClaimedTask;
  /** True when the task is worked on in a worktree (gate feedback then applies). */
  inWorkspace: boolean;
}): LlmRequest {
  const { claimed } = input;
  const { task } = claimed;
  const member = memberOf(input.config, input.agentId);
  const simContext: SimWorkContext = {
    task: taskFacts(task),
    attempt: task.attempts,
    resolutions: claimed.resolutions.map((resolution) => resolution.resolution),
    planTaskIds: claimed.planTaskIds,
    dependencyTitles: claimed.dependencies.map((dependency) => `${dependency.id} ${dependency.title}`),
    ...(input.inWorkspace ? { gateFeedback: claimed.gateFeedback.flatMap((item) => item.reasons) } : {}),
  };
  return {
    model: claimed.model,
    system: input.systemPrompt,
    messages: [
      {
        role: 'user',
        content: composeTaskMessage({
          task,
          dependencies: claimed.dependencies,
          resolutions: claimed.resolutions,
          gateFeedback: claimed.gateFeedback,
        }),
      },
    ],
    maxTokens: member.roleConfig.max_tokens,
    cacheSystemPrompt: true,
    // The agent's one answer, its report: a tool on every call (in a tool loop too), so the prefix never changes.
    answerSchemas: WORK_ANSWERS,
    responseName: ANSWER_NAMES.workReport,
    responseJsonSchema: WORK_ANSWERS[0]?.schema ?? {},
    metadata: { agentId: input.agentId, role: member.role, purpose: 'work', taskId: task.id, context: { ...simContext } },
    // Too large for the model's window, the dependency results are what is cut first.
    shortenable: { entries: claimed.dependencies.map(dependencyEntry), note: SHORTENED_RESULTS_NOTE },
  };
}

/** Tells the agent that its worktree already holds an earlier attempt's uncommitted work. */
export function withPartialWorkNote(request: LlmRequest): LlmRequest {
  const note =
    '\n\n## Work already in your worktree\nAn earlier attempt on this task stopped before it finished; its uncommitted changes are in your files. ' +
    'Look at them (list_files, read_file) and continue from them rather than starting over.';
  const [first, ...rest] = request.messages;
  if (first?.role !== 'user') return request;
  return { ...request, messages: [{ ...first, content: first.content + note }, ...rest] };
}
