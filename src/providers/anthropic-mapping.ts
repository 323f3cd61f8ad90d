/** Requests to the Anthropic wire shape and back: messages, forced-tool structured answers, usage, stop reasons. */
import type Anthropic from '@anthropic-ai/sdk';
import { ProviderError } from '../errors/index.js';
import { PROVIDER } from './anthropic-errors.js';
import { answerSetOf, answerToolsOf, unwrapAnswer } from './answer-tools.js';
import { withAnswerInPrompt } from './prompt-answer.js';
import { type LlmRequest, type LlmResponse, type Message, type StopReason, type ToolCall, type Usage, withReasoning } from './types.js';

/** How Anthropic is asked for a structured answer: answer tools (`tools`) or the schema in the prompt (`prompt`). */
export type AnthropicStructuredMode = 'tools' | 'prompt';

/** The answer tools a request carried, by name: whether each one's answer is wrapped in `{answer: …}`. */
export type StructuredTools = ReadonlyMap<string, { readonly wrapped: boolean }>;

function toAnthropicMessages(messages: readonly Message[]): Anthropic.MessageParam[] {
  const out: Anthropic.MessageParam[] = [];
  for (const message of messages) {
    if (message.role === 'tool') {
      const block: Anthropic.ToolResultBlockParam = {
        type: 'tool_result',
        tool_use_id: message.toolCallId,
        content: message.content,
        is_error: message.isError === true,
      };
      // Results of one assistant turn's parallel calls must come back in one user turn.
      const last = out.at(-1);
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result')) {
        last.content.push(block);
      } else {
        out.push({ role: 'user', content: [block] });
      }
    } else if (message.role === 'assistant') {
      // The API rejects empty text blocks, so a turn that only calls tools has none.
      const content: Anthropic.ContentBlockParam[] = message.content === '' ? [] : [{ type: 'text', text: message.content }];
      for (const call of message.toolCalls ?? []) content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
      out.push({ role: 'assistant', content: content.length === 0 ? message.content : content });
    } else {
      out.push({ role: 'user', content: message.content });
    }
  }
  return out;
}

/**
 * The SDK's parameters for a request. Anthropic has no response-format parameter: every
 * answer the agent may give is a tool (after its own tools, in a fixed order, so tools
 * and system stay one cached prefix), and `tool_choice` names the one this call answers
 * with; changing `tool_choice` keeps tools and system cached. In a tool loop the model
 * must call some tool each turn (`any`), and calling the answer tool ends the loop. In
 * `prompt` mode the schema goes into the last user message instead.
 */
export function toAnthropicParams(
  request: LlmRequest,
  mode: AnthropicStructuredMode = 'tools',
): {
  params: Anthropic.MessageCreateParamsNonStreaming;
  structured: StructuredTools;
} {
  const sent = mode === 'prompt' ? withAnswerInPrompt(request) : request;
  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: sent.model,
    max_tokens: sent.maxTokens,
    messages: toAnthropicMessages(sent.messages),
  };
  // An empty text block is an invalid request, so an empty system prompt is left out.
  if (sent.system !== '') {
    const block: Anthropic.TextBlockParam = { type: 'text', text: sent.system };
    if (sent.cacheSystemPrompt !== false) block.cache_control = { type: 'ephemeral' };
    params.system = [block];
  }
  // `request.temperature` is not sent: the API version this SDK speaks (anthropic-version
  // 2026-10-21) has no sampling parameters and answers any `temperature`, even 1.0, with 400.
  const ownTools: Anthropic.Tool[] = (sent.tools ?? []).map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema as Anthropic.Tool.InputSchema,
  }));
  const { answers, chosen } = answerSetOf(sent);
  // Without answers of its own, a loop's answer is free text the caller validates.
  const loopAnswers = ownTools.length > 0 && sent.answerSchemas === undefined ? [] : answers;
  const answerTools = answerToolsOf(loopAnswers);
  const tools: Anthropic.Tool[] = [
    ...ownTools,
    ...answerTools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.inputSchema as Anthropic.Tool.InputSchema,
    })),
  ];
  if (tools.length > 0) params.tools = tools;
  const choice = sent.toolChoice;
  if (ownTools.length === 0 && chosen !== undefined && answerTools.length > 0) {
    params.tool_choice = { type: 'tool', name: chosen.name };
  } else if (choice !== undefined && tools.length > 0) {
    params.tool_choice = typeof choice === 'string' ? { type: choice } : { type: 'tool', name: choice.name };
  } else if (ownTools.length > 0 && answerTools.length > 0) {
    params.tool_choice = { type: 'any' };
  }
  return { params, structured: new Map(answerTools.map((tool) => [tool.name, { wrapped: tool.wrapped }])) };
}

function toUsage(usage: Anthropic.Usage): Usage {
  // Thinking tokens are inside output_tokens (billed as output); the SDK reports them apart, when at all.
  return withReasoning(
    {
      // Anthropic's input_tokens already excludes the cached prefix, unlike OpenAI's prompt_tokens.
      inputTokens: usage.input_tokens,
      outputTokens: usage.output_tokens,
      cacheReadTokens: usage.cache_read_input_tokens ?? 0,
      cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
    },
    usage.output_tokens_details?.thinking_tokens,
  );
}

function toStopReason({
  message,
  answeredStructured,
  requestId,
}: {
  message: Anthropic.Message;
  answeredStructured: boolean;
  requestId: string | undefined;
}): StopReason {
  switch (message.stop_reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'end';
    case 'tool_use':
      return answeredStructured ? 'end' : 'tool_use';
    case 'max_tokens':
      return 'max_tokens';
    case 'refusal': {
      const details = message.stop_details;
      const said = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
      const reason = (details?.explanation ?? (said === '' ? 'no explanation given' : said)).replace(/\.$/, '');
      const category = details?.category ?? 'unspecified';
      throw new ProviderError({
        provider: PROVIDER,
        failure: 'refusal',
        retryable: false,
        requestId,
        message: `${message.model} refused to answer (category ${category}): ${reason}. Rephrase the task or use another model.`,
      });
    }
    default:
      // pause_turn, model_context_window_exceeded, and reasons newer than this code.
      return 'other';
  }
}

/** The normalized response of an SDK message: text (or the unwrapped structured answer), tool calls, usage. */
export function toResponse(input: {
  message: Anthropic.Message;
  structured: StructuredTools;
  requestId: string | undefined;
  latencyMs: number;
}): LlmResponse {
  const { message, structured, requestId } = input;
  const toolUses = message.content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
  const answer = toolUses.find((block) => structured.has(block.name));
  const stopReason = toStopReason({ message, answeredStructured: answer !== undefined, requestId });
  let text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  if (answer !== undefined) text = JSON.stringify(unwrapAnswer(answer.input, structured.get(answer.name)?.wrapped === true));
  const toolCalls: ToolCall[] = toolUses
    .filter((block) => block !== answer)
    .map((block) => ({ id: block.id, name: block.name, input: block.input }));
  return {
    text,
    usage: toUsage(message.usage),
    model: message.model,
    stopReason,
    latencyMs: input.latencyMs,
    simulated: false,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(answer === undefined ? {} : { answered: true }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}
