/**
 * One role agent doing one task with shared memory: read what earlier agents
 * saved, ask the model in role, validate its answer, save what it learned.
 */
import { addUsage, askStructured, emptyUsage, jsonSchemaOf, type LlmProvider, type LlmRequest, type Usage } from '../providers/index.js';
import { DEFAULT_RELEVANT_LIMIT, type MemoryStore } from '../memory/index.js';
import type { MemoryRecord } from '../memory/index.js';
import { roleAnswerSchema, type RoleAnswer } from './role-answer.js';
import { loadRolePrompt, roleTaskMessage } from './role-prompt.js';
import { roleOf } from './roles.js';

/** Output room for the answer by default; it is a summary and a few memories, not the work itself. */
export const DEFAULT_ROLE_TASK_MAX_TOKENS = 4096;
// Doubling after a truncated answer stops here.
const MAX_OUTPUT_TOKENS = 32_000;

/** What `runRoleTask` needs. */
export interface RunRoleTaskInput {
  /** A role from the catalogue (`agent-team roles`). */
  role: string;
  /** The directory the agent works in, as the user gave it. */
  directory: string;
  task: string;
  /** Memories are shared within a project. */
  project: string;
  /** Saved with every memory, so others can tell who learned what. */
  agentId: string;
  provider: LlmProvider;
  model: string;
  /** Holds `roles/<role>.md`. */
  promptsDir: string;
  store: MemoryStore;
  signal?: AbortSignal | undefined;
  /** Most memories read before working (default 8). */
  memoryLimit?: number | undefined;
  maxTokens?: number | undefined;
}

/** What a role task did. */
export interface RoleTaskResult {
  summary: string;
  /** The memories it saved, as stored. */
  saved: MemoryRecord[];
  /** The memories it was given before working. */
  recalled: MemoryRecord[];
  /** All calls together, a repair request included. */
  usage: Usage;
  /** True when the answers were simulated. */
  simulated: boolean;
  /** True when the first answer was invalid and a repair request fixed it. */
  repaired: boolean;
}

/**
 * Asks for the answer through the one structured-output path: a truncated answer is
 * asked again with more room, an invalid one gets one repair request.
 */
async function askForAnswer(input: {
  provider: LlmProvider;
  request: LlmRequest;
  signal: AbortSignal | undefined;
}): Promise<{ answer: RoleAnswer; usage: Usage; simulated: boolean; repaired: boolean }> {
  const { provider, signal } = input;
  const { value, answers, repaired } = await askStructured({
    request: input.request,
    schema: roleAnswerSchema,
    what: 'role task answer',
    call: (request) => provider.complete(request, signal),
    maxOutputTokens: MAX_OUTPUT_TOKENS,
    wording: { expected: 'the corrected JSON object {"summary": "...", "memories": [...]}' },
  });
  return {
    answer: value,
    usage: answers.reduce((sum, answer) => addUsage(sum, answer.usage), emptyUsage()),
    simulated: answers.every((answer) => answer.simulated),
    repaired,
  };
}

/**
 * Runs one role task: reads up to `memoryLimit` memories relevant to the task,
 * calls the provider with the role's prompt, the task and those memories, and
 * appends the memories it reports, tagged with its role and saved under its
 * agent id and project.
 */
export async function runRoleTask(input: RunRoleTaskInput): Promise<RoleTaskResult> {
  const role = roleOf(input.role);
  input.signal?.throwIfAborted();
  const system = await loadRolePrompt({ promptsDir: input.promptsDir, role: role.name });
  const recalled = await input.store.relevantTo(input.task, { project: input.project, limit: input.memoryLimit ?? DEFAULT_RELEVANT_LIMIT });
  const request: LlmRequest = {
    model: input.model,
    system,
    messages: [
      {
        role: 'user',
        content: roleTaskMessage({ task: input.task, directory: input.directory, project: input.project, memories: recalled }),
      },
    ],
    maxTokens: input.maxTokens ?? DEFAULT_ROLE_TASK_MAX_TOKENS,
    responseJsonSchema: jsonSchemaOf(roleAnswerSchema),
    responseName: 'role_task_answer',
    cacheSystemPrompt: true,
    metadata: {
      agentId: input.agentId,
      role: role.name,
      purpose: 'role-task',
      context: {
        role: role.name,
        task: input.task,
        directory: input.directory,
        memories: recalled.map((memory) => ({ type: memory.type, content: memory.content, tags: memory.tags, agent: memory.agent })),
      },
    },
  };
  const { answer, usage, simulated, repaired } = await askForAnswer({ provider: input.provider, request, signal: input.signal });
  // The work is done: a late abort must not lose what the agent learned.
  const saved = await input.store.append(
    answer.memories.map((memory) => ({
      type: memory.type,
      content: memory.content,
      tags: [...memory.tags, `${role.name}-agent`],
      agent: input.agentId,
      role: role.name,
      project: input.project,
    })),
  );
  return { summary: answer.summary, saved, recalled, usage, simulated, repaired };
}
