/** Requests to the Anthropic wire shape and back: messages, forced-tool structured answers, usage, stop reasons. */
import type Anthropic from '@anthropic-ai/sdk';
import { ProviderError } from '../errors/index.js';
import { PROVIDER } from './anthropic-errors.js';
import { type LlmRequest, type LlmResponse, type Message, type StopReason, type ToolCall, type Usage, withReasoning } from './types.js';

const DEFAULT_RESPONSE_NAME = 'respond';
// Tool input must be an object, so a schema whose root is not one is wrapped under this key.
const WRAPPED_KEY = 'answer';

/** How a structured answer travels as a forced tool call. */
export type StructuredTool = { readonly name: string; readonly wrapped: boolean };

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
 * Anthropic has no response-format parameter: a structured answer is asked for as one
 * forced tool whose input is the answer. Tool input must be an object schema, so a root
 * that is not `type: 'object'` (a zod discriminated union gives a bare `oneOf`) is wrapped
 * as `{answer: <schema>}` and unwrapped from the tool input on the way back. `$defs` move to
 * the wrapper's root because `$ref`s point at the document root.
 */
function structuredToolFor(schema: Record<string, unknown>, name: string): { tool: Anthropic.Tool; structured: StructuredTool } {
  const description = 'Give your answer by calling this tool: its input is your answer.';
  if (schema['type'] === 'object') {
    return { tool: { name, description, input_schema: schema as Anthropic.Tool.InputSchema }, structured: { name, wrapped: false } };
  }
  const { $schema, $defs, definitions, ...inner } = schema;
  const input_schema: Anthropic.Tool.InputSchema = {
    ...($schema === undefined ? {} : { $schema }),
    type: 'object',
    properties: { [WRAPPED_KEY]: inner },
    required: [WRAPPED_KEY],
    ...($defs === undefined ? {} : { $defs }),
    ...(definitions === undefined ? {} : { definitions }),
  };
  return { tool: { name, description, input_schema }, structured: { name, wrapped: true } };
}

/** The SDK's parameters for a request; a structured answer is asked for as a forced tool. */
export function toAnthropicParams(request: LlmRequest): {
  params: Anthropic.MessageCreateParamsNonStreaming;
  structured: StructuredTool | undefined;
} {
  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: request.model,
    max_tokens: request.maxTokens,
    messages: toAnthropicMessages(request.messages),
  };
  // An empty text block is an invalid request, so an empty system prompt is left out.
  if (request.system !== '') {
    const block: Anthropic.TextBlockParam = { type: 'text', text: request.system };
    if (request.cacheSystemPrompt !== false) block.cache_control = { type: 'ephemeral' };
    params.system = [block];
  }
  // `request.temperature` is not sent: the API version this SDK speaks (anthropic-version
  // 2026-10-21) has no sampling parameters and answers any `temperature`, even 1.0, with 400.
  let structured: StructuredTool | undefined;
  const ownTools = request.tools ?? [];
  if (ownTools.length > 0) {
    params.tools = ownTools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.inputSchema as Anthropic.Tool.InputSchema,
    }));
    const choice = request.toolChoice;
    if (choice !== undefined) params.tool_choice = typeof choice === 'string' ? { type: choice } : { type: 'tool', name: choice.name };
  } else if (request.responseJsonSchema !== undefined) {
    // With tools of its own the answer is free text (or tool calls) the caller validates.
    const forced = structuredToolFor(request.responseJsonSchema, request.responseName ?? DEFAULT_RESPONSE_NAME);
    params.tools = [forced.tool];
    params.tool_choice = { type: 'tool', name: forced.structured.name };
    structured = forced.structured;
  }
  return { params, structured };
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
  structured: StructuredTool | undefined;
  requestId: string | undefined;
  latencyMs: number;
}): LlmResponse {
  const { message, structured, requestId } = input;
  const toolUses = message.content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
  const answer = structured === undefined ? undefined : toolUses.find((block) => block.name === structured.name);
  const stopReason = toStopReason({ message, answeredStructured: answer !== undefined, requestId });
  let text = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  if (answer !== undefined && structured !== undefined) {
    const input = answer.input;
    const unwrapped =
      structured.wrapped && typeof input === 'object' && input !== null && WRAPPED_KEY in input
        ? (input as Record<string, unknown>)[WRAPPED_KEY]
        : input;
    text = JSON.stringify(unwrapped);
  }
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
    ...(requestId === undefined ? {} : { requestId }),
  };
}
