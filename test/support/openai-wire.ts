/**
 * The Chat Completions wire format for the fake OpenAI server: token estimates,
 * automatic prompt caching, JSON bodies and SSE chunks, shaped like OpenAI's own.
 */
import type { ChatCompletionCreateParams, ChatCompletionMessageParam } from 'openai/resources/chat/completions';

/** A tool call the fake model makes; `arguments` that are not a string are sent as JSON. */
export interface ScriptedToolCall {
  id?: string;
  name: string;
  arguments: unknown;
}

/** What the fake model answers with, before usage and framing. */
export interface ModelOutput {
  content: string | null;
  refusal: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: 'stop' | 'length' | 'tool_calls' | 'content_filter';
}

/** OpenAI's usage block. */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** OpenAI caches prefixes from this many tokens on… */
export const MIN_CACHED_PREFIX_TOKENS = 1024;
/** …in steps of this many tokens. */
export const CACHE_STEP_TOKENS = 128;
// Fixed, so recorded bodies are the same on every run.
const CREATED = 1_760_000_000;

/**
 * The server's deterministic token estimate: one token per 4 characters, rounded up.
 * Real tokenizers differ; tests only need a count they can redo by hand.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function textOf(message: ChatCompletionMessageParam): string {
  const content = message.content;
  let text = typeof content === 'string' ? content : (content ?? []).map((part) => ('text' in part ? part.text : '')).join('');
  if (message.role === 'assistant') {
    for (const call of message.tool_calls ?? []) if (call.type === 'function') text += call.function.name + call.function.arguments;
  }
  return text;
}

/**
 * Prompt tokens of a request: the estimate of each message's text (tool-call names and
 * arguments included), plus the estimate of the JSON of `tools` and of `response_format`.
 */
export function promptTokensOf(body: ChatCompletionCreateParams): number {
  let tokens = 0;
  for (const message of body.messages) tokens += estimateTokens(textOf(message));
  if (body.tools !== undefined) tokens += estimateTokens(JSON.stringify(body.tools));
  if (body.response_format !== undefined) tokens += estimateTokens(JSON.stringify(body.response_format));
  return tokens;
}

/**
 * The cacheable prefix, as OpenAI builds it: the tool definitions and the structured-output
 * schema (`response_format`) come before the messages, then the leading system (or
 * developer) messages; `tool_choice` is not part of it. As a key and a token count.
 */
export function prefixOf(body: ChatCompletionCreateParams): { key: string; tokens: number } {
  const leading: ChatCompletionMessageParam[] = [];
  for (const message of body.messages) {
    if (message.role !== 'system' && message.role !== 'developer') break;
    leading.push(message);
  }
  const tools = body.tools === undefined ? '' : JSON.stringify(body.tools);
  const format = body.response_format === undefined ? '' : JSON.stringify(body.response_format);
  const tokens =
    (tools === '' ? 0 : estimateTokens(tools)) +
    (format === '' ? 0 : estimateTokens(format)) +
    leading.reduce((sum, message) => sum + estimateTokens(textOf(message)), 0);
  return { key: `${body.model}\u0000${tools}\u0000${format}\u0000${JSON.stringify(leading)}`, tokens };
}

/** Cached tokens for a prefix seen before: whole 128-token steps, from 1024 tokens on. */
export function cachedTokensFor(prefixTokens: number, seenBefore: boolean): number {
  if (!seenBefore || prefixTokens < MIN_CACHED_PREFIX_TOKENS) return 0;
  return Math.floor(prefixTokens / CACHE_STEP_TOKENS) * CACHE_STEP_TOKENS;
}

/** Usage of one answer; `prompt_tokens` includes the cached ones, `completion_tokens` the reasoning ones. */
export function usageOf(input: { promptTokens: number; cachedTokens: number; output: ModelOutput; reasoningTokens: number }): WireUsage {
  const visible =
    (input.output.content ?? '') + (input.output.refusal ?? '') + input.output.toolCalls.map((call) => call.name + call.arguments).join('');
  const completion = estimateTokens(visible) + input.reasoningTokens;
  return {
    prompt_tokens: input.promptTokens,
    completion_tokens: completion,
    total_tokens: input.promptTokens + completion,
    prompt_tokens_details: { cached_tokens: input.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: input.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** A non-streamed `chat.completion` body. */
export function completionBody(input: {
  id: string;
  model: string;
  output: ModelOutput;
  usage: WireUsage | undefined;
}): Record<string, unknown> {
  const { output } = input;
  const message: Record<string, unknown> = { role: 'assistant', content: output.content, refusal: output.refusal, annotations: [] };
  if (output.toolCalls.length > 0) {
    message['tool_calls'] = output.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: input.id,
    object: 'chat.completion',
    created: CREATED,
    model: input.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: output.finishReason }],
    ...(input.usage === undefined ? {} : { usage: input.usage }),
    service_tier: 'default',
    system_fingerprint: 'fp_agentteam',
  };
}

function pieces(text: string, size = 5): string[] {
  const parts: string[] = [];
  for (let index = 0; index < text.length; index += size) parts.push(text.slice(index, index + size));
  return parts;
}

/**
 * The SSE events of a streamed answer, each `data: {json}\n\n`, ending in `data: [DONE]`.
 * Text and arguments arrive in 5-character deltas; tool calls are keyed by `index`. With
 * `include_usage`, every chunk carries `usage: null` and a last chunk has `choices: []` and the usage.
 */
export function streamEvents(input: {
  id: string;
  model: string;
  output: ModelOutput;
  usage: WireUsage | undefined;
  includeUsage: boolean;
}): string[] {
  const { output } = input;
  const chunks: Record<string, unknown>[] = [];
  const chunk = (choices: unknown[], usage?: WireUsage): void => {
    chunks.push({
      id: input.id,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: input.model,
      service_tier: 'default',
      system_fingerprint: 'fp_agentteam',
      choices,
      ...(input.includeUsage ? { usage: usage ?? null } : {}),
    });
  };
  const delta = (value: Record<string, unknown>, finishReason: string | null = null): void =>
    chunk([{ index: 0, delta: value, logprobs: null, finish_reason: finishReason }]);

  delta({ role: 'assistant', content: output.toolCalls.length > 0 && output.content === null ? null : '', refusal: null });
  for (const part of pieces(output.content ?? '')) delta({ content: part });
  for (const part of pieces(output.refusal ?? '')) delta({ refusal: part });
  output.toolCalls.forEach((call, index) => {
    delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const part of pieces(call.arguments, 7)) delta({ tool_calls: [{ index, function: { arguments: part } }] });
  });
  delta({}, output.finishReason);
  if (input.includeUsage && input.usage !== undefined) chunk([], input.usage);
  return [...chunks.map((body) => `data: ${JSON.stringify(body)}\n\n`), 'data: [DONE]\n\n'];
}
