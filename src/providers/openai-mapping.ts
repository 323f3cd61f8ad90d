import { createHash } from 'node:crypto';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { ProviderError } from '../errors/index.js';
import { type LlmRequest, type LlmResponse, type Message, type StopReason, type ToolCall, type Usage, withReasoning } from './types.js';

/** Who is on the other end: OpenAI itself, or a server that speaks its format (Ollama, vLLM, OpenRouter…). */
export type OpenAIDialect = 'openai' | 'compatible';

/** An answer of the OpenAI provider: the neutral response plus what only OpenAI reports. */
export interface OpenAIResponse extends LlmResponse {
  /** Hidden reasoning tokens, already included in `usage.outputTokens` (and billed as output). */
  reasoningTokens: number;
  /** The model the server says answered (often a dated snapshot such as `gpt-4.1-2025-04-14`). */
  responseModel: string;
}

/** One choice as received, whether from a JSON body or assembled from stream chunks. */
export interface ReceivedChoice {
  id: string;
  model: string;
  content: string | null;
  refusal: string | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string | null;
  usage: CompletionUsage | null | undefined;
}

/** The Chat Completions body for a request, and whether the answer comes back wrapped in `answer`. */
export interface ChatRequest {
  body: ChatCompletionCreateParamsNonStreaming;
  wrappedAnswer: boolean;
}

/** A stable key per system prompt, so calls sharing it are routed to the same cache. */
export function promptCacheKey(system: string): string {
  return `agent-team-${createHash('sha256').update(system).digest('hex').slice(0, 32)}`;
}

function toMessage(message: Message): ChatCompletionMessageParam {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant':
      if (message.toolCalls === undefined || message.toolCalls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // OpenAI wants null, not '', beside tool calls.
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: typeof call.input === 'string' ? call.input : JSON.stringify(call.input ?? {}) },
        })),
      };
    case 'tool':
      // Chat Completions has no error flag on tool results: the model has to read it.
      return {
        role: 'tool',
        tool_call_id: message.toolCallId,
        content: message.isError === true ? `Error: ${message.content}` : message.content,
      };
  }
}

function toToolChoice(choice: NonNullable<LlmRequest['toolChoice']>): ChatCompletionToolChoiceOption {
  if (choice === 'auto') return 'auto';
  if (choice === 'any') return 'required';
  return { type: 'function', function: { name: choice.name } };
}

function responseFormat(
  request: LlmRequest,
  schema: Record<string, unknown>,
): { format: ChatCompletionCreateParamsNonStreaming['response_format']; wrapped: boolean } {
  // `$schema` is not part of the subset structured outputs accept; the dialect is fixed by the API.
  const { $schema: _dialect, ...withoutDialect } = schema;
  const wrapped = withoutDialect['type'] !== 'object';
  const { $defs, definitions, ...inner } = withoutDialect;
  // The root must be an object, so a union (`oneOf`/`anyOf`) goes under one required
  // property. Definitions stay at the root: `$ref: "#/$defs/…"` is resolved from there.
  const sent = wrapped
    ? {
        type: 'object',
        properties: { answer: inner },
        required: ['answer'],
        additionalProperties: false,
        ...($defs === undefined ? {} : { $defs }),
        ...(definitions === undefined ? {} : { definitions }),
      }
    : withoutDialect;
  const name = (request.responseName ?? 'respond').replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  return {
    // strict: false, because strict mode needs every property required and no optional
    // keys, which zod-derived schemas do not guarantee; the caller validates and repairs.
    format: { type: 'json_schema', json_schema: { name, schema: sent, strict: false } },
    wrapped,
  };
}

/** Maps a neutral request to a Chat Completions body for OpenAI or a compatible server. */
export function toChatRequest(input: { request: LlmRequest; dialect: OpenAIDialect }): ChatRequest {
  const { request, dialect } = input;
  const messages: ChatCompletionMessageParam[] = [];
  if (request.system !== '') messages.push({ role: 'system', content: request.system });
  for (const message of request.messages) messages.push(toMessage(message));
  const body: ChatCompletionCreateParamsNonStreaming = { model: request.model, messages };
  // OpenAI's reasoning models refuse `max_tokens`; many compatible servers (older vLLM,
  // Ollama, LM Studio) ignore the newer `max_completion_tokens` and would run unbounded.
  if (dialect === 'openai') body.max_completion_tokens = request.maxTokens;
  else body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
    }));
    // tool_choice without tools is a 400, so it only goes with them.
    if (request.toolChoice !== undefined) body.tool_choice = toToolChoice(request.toolChoice);
  }
  // OpenAI caches prefixes on its own; the key only improves routing. Others may reject it.
  if (dialect === 'openai' && request.cacheSystemPrompt !== false && request.system !== '') {
    body.prompt_cache_key = promptCacheKey(request.system);
  }
  let wrappedAnswer = false;
  if (request.responseJsonSchema !== undefined) {
    const { format, wrapped } = responseFormat(request, request.responseJsonSchema);
    body.response_format = format;
    wrappedAnswer = wrapped;
  }
  return { body, wrappedAnswer };
}

/** Reads the first choice of a complete (non-streamed) answer. */
export function receivedFromCompletion(completion: ChatCompletion): ReceivedChoice {
  const choice = completion.choices[0];
  const message = choice?.message;
  const toolCalls: ReceivedChoice['toolCalls'] = [];
  for (const call of message?.tool_calls ?? []) {
    // Custom (free-text) tools are never declared by us, so only function calls can come back.
    if (call.type === 'function') toolCalls.push({ id: call.id, name: call.function.name, arguments: call.function.arguments });
  }
  return {
    id: completion.id,
    model: completion.model,
    content: message?.content ?? null,
    refusal: message?.refusal ?? null,
    toolCalls,
    finishReason: choice?.finish_reason ?? null,
    usage: completion.usage,
  };
}

/** Assembles stream chunks into one choice: content, refusal and tool-call deltas (by index), finish reason, usage. */
export class ChunkAssembler {
  #id = '';
  #model = '';
  #content: string | null = null;
  #refusal: string | null = null;
  readonly #toolCalls = new Map<number, { id: string; name: string; arguments: string }>();
  #finishReason: string | null = null;
  #usage: CompletionUsage | null | undefined;

  /** Takes one chunk; the last one (empty `choices`) carries the usage. */
  add(chunk: ChatCompletionChunk): void {
    if (this.#id === '') this.#id = chunk.id;
    if (chunk.model !== '') this.#model = chunk.model;
    if (chunk.usage != null) this.#usage = chunk.usage;
    for (const choice of chunk.choices) {
      if (choice.index !== 0) continue;
      const delta = choice.delta;
      if (typeof delta.content === 'string') this.#content = (this.#content ?? '') + delta.content;
      if (typeof delta.refusal === 'string') this.#refusal = (this.#refusal ?? '') + delta.refusal;
      for (const part of delta.tool_calls ?? []) {
        const call = this.#toolCalls.get(part.index) ?? { id: '', name: '', arguments: '' };
        if (part.id !== undefined) call.id = part.id;
        if (part.function?.name !== undefined) call.name += part.function.name;
        if (part.function?.arguments !== undefined) call.arguments += part.function.arguments;
        this.#toolCalls.set(part.index, call);
      }
      if (choice.finish_reason != null) this.#finishReason = choice.finish_reason;
    }
  }

  /** The assembled choice. */
  result(): ReceivedChoice {
    return {
      id: this.#id,
      model: this.#model,
      content: this.#content,
      refusal: this.#refusal,
      toolCalls: [...this.#toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call),
      finishReason: this.#finishReason,
      usage: this.#usage,
    };
  }
}

/** Normalizes OpenAI usage: `prompt_tokens` includes the cached tokens, ours excludes them. */
export function normalizeUsage(usage: CompletionUsage | null | undefined): { usage: Usage; reasoningTokens: number } {
  // Some compatible servers send no usage at all: such calls count as zero tokens.
  if (usage == null) return { usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, reasoningTokens: 0 };
  const cacheReadTokens = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const reasoningTokens = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  const normalized: Usage = {
    inputTokens: Math.max(0, usage.prompt_tokens - cacheReadTokens),
    // Reasoning tokens are already inside completion_tokens and billed as output.
    outputTokens: usage.completion_tokens,
    cacheReadTokens,
    // OpenAI caches automatically and charges nothing extra for writing.
    cacheWriteTokens: 0,
  };
  return { usage: withReasoning(normalized, reasoningTokens), reasoningTokens };
}

function parseArguments(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    // Kept raw, so the caller can show the model what it sent.
    return raw;
  }
}

function unwrapAnswer(text: string): string {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object' && 'answer' in parsed) return JSON.stringify((parsed as { answer: unknown }).answer);
  } catch {
    // Not JSON: returned unchanged, so the caller's validation and repair request see it.
  }
  return text;
}

const STOP_REASONS: Readonly<Record<string, StopReason>> = { stop: 'end', tool_calls: 'tool_use', length: 'max_tokens' };

/** Turns a received choice into the neutral response; a refusal or content filter is a `ProviderError`. */
export function toOpenAIResponse(input: {
  received: ReceivedChoice;
  request: LlmRequest;
  wrappedAnswer: boolean;
  provider: string;
  requestId: string | undefined;
  latencyMs: number;
}): OpenAIResponse {
  const { received, provider } = input;
  const requestId = input.requestId ?? (received.id === '' ? undefined : received.id);
  const refused = received.refusal !== null && received.refusal !== '';
  if (refused || received.finishReason === 'content_filter') {
    throw new ProviderError({
      provider,
      message: refused
        ? `The model refused to answer: ${received.refusal} Rephrase the task or use another model.`
        : 'The answer was stopped by the content filter. Rephrase the task or use another model.',
      failure: 'refusal',
      retryable: false,
      ...(requestId === undefined ? {} : { requestId }),
    });
  }
  const { usage, reasoningTokens } = normalizeUsage(received.usage);
  const text = received.content ?? '';
  const toolCalls: ToolCall[] = received.toolCalls.map((call) => ({ id: call.id, name: call.name, input: parseArguments(call.arguments) }));
  return {
    text: input.wrappedAnswer ? unwrapAnswer(text) : text,
    usage,
    // The requested id, not the dated snapshot the server names: prices are keyed by it.
    model: input.request.model,
    stopReason: STOP_REASONS[received.finishReason ?? ''] ?? 'other',
    latencyMs: input.latencyMs,
    simulated: false,
    ...(toolCalls.length === 0 ? {} : { toolCalls }),
    ...(requestId === undefined ? {} : { requestId }),
    reasoningTokens,
    responseModel: received.model === '' ? input.request.model : received.model,
  };
}
