import { AgentTeamError } from '../../errors/index.js';
import { withSpan } from '../../observability/index.js';
import type { LlmRequest, LlmResponse, Message, ToolCall } from '../../providers/index.js';
import type { ModelCaller } from './model-caller.js';

/** Runs one tool call; a failing tool is a result the model reads, not an exception. */
export type ToolExecutor = (call: ToolCall) => Promise<{ content: string; isError: boolean }>;

/** The model kept calling tools past the step limit. */
export class ToolLoopLimitError extends AgentTeamError {
  constructor(input: { agentId: string; steps: number }) {
    super('tool_loop_limit', `${input.agentId} was still calling tools after ${input.steps} steps; the attempt stops here.`);
  }
}

/**
 * The agent's tool loop: call the model with its tools; while it answers with tool
 * calls, run them and send the results back; stop at its final answer (free text, or
 * a call of its answer tool) or at the step limit. A turn that calls other tools and
 * the answer tool runs those tools first, then ends with the answer. Every call goes
 * through the ModelCaller, so every step is priced and held against the budget.
 */
export async function runToolLoop(input: {
  caller: ModelCaller;
  request: LlmRequest;
  execute: ToolExecutor;
  maxSteps: number;
  signal?: AbortSignal | undefined;
  onToolCall?: ((call: ToolCall, result: { content: string; isError: boolean }) => void) | undefined;
  /** Called after each step's tools ran (progress reports). */
  onStep?: ((step: number) => Promise<void> | void) | undefined;
}): Promise<{ response: LlmResponse; messages: Message[]; steps: number }> {
  const messages: Message[] = [...input.request.messages];
  for (let step = 1; step <= input.maxSteps; step += 1) {
    const response = await input.caller.call({ ...input.request, messages }, input.signal);
    const calls = response.toolCalls ?? [];
    if (calls.length === 0) return { response, messages, steps: step };
    const answered = response.answered === true;
    // The answer is not part of the turn kept in the conversation: a repair shows it as the assistant's text.
    messages.push({ role: 'assistant', content: answered ? '' : response.text, toolCalls: calls });
    for (const call of calls) {
      input.signal?.throwIfAborted();
      const result = await executeTool(input.execute, call);
      input.onToolCall?.(call, result);
      messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content: result.content, isError: result.isError });
    }
    await input.onStep?.(step);
    if (answered) {
      const { toolCalls: _ran, ...answer } = response;
      return { response: answer, messages, steps: step };
    }
  }
  throw new ToolLoopLimitError({ agentId: input.request.metadata.agentId, steps: input.maxSteps });
}

/** Runs one tool call in an `execute_tool {tool}` span (its input and output stay out of the span). */
function executeTool(execute: ToolExecutor, call: ToolCall): Promise<{ content: string; isError: boolean }> {
  const attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': call.name,
    'gen_ai.tool.call.id': call.id,
    'gen_ai.tool.type': 'function',
  };
  return withSpan(`execute_tool ${call.name}`, { attributes }, async (span) => {
    const result = await execute(call);
    if (result.isError) span.fail('tool_error');
    return result;
  });
}
