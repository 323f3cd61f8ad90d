import { createHash } from 'node:crypto';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { ProviderError } from '../errors/index.js';
import { answerSetOf, answerToolsOf, isWrapper, objectSchemaOf, unwrapAnswer } from './answer-tools.js';
import { withAnswerInPrompt } from './prompt-answer.js';
import { strictJsonSchema, withoutAddedNulls } from './strict-schema.js';
import {
  type AnswerSchema,
  type LlmRequest,
  type LlmResponse,
  type Message,
  type StopReason,
  type ToolCall,
  type Usage,
  withReasoning,
} from './types.js';

/** Who is on the other end: OpenAI itself, or a server that speaks its format (Ollama, vLLM, OpenRouter…). */
export type OpenAIDialect = 'openai' | 'compatible';

/** How a structured answer is asked for (see toChatRequest). */
export type OpenAIStructuredMode = 'tools' | 'json_schema' | 'prompt';

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

/** The Chat Completions body for a request, whether a `response_format` answer comes back wrapped in `answer`, and the answer tools sent. */
export interface ChatRequest {
  body: ChatCompletionCreateParamsNonStreaming;
  wrappedAnswer: boolean;
  /** Answer tools by name (tools mode): whether the answer is wrapped, and the schema it was asked with (nulls of strict mode are dropped against it). */
  answerTools: AnswerTools;
}

/** The answer tools of a request, by name. */
export type AnswerTools = ReadonlyMap<
  string,
  { readonly wrapped: boolean; readonly schema: Record<string, unknown>; readonly strict: boolean }
>;

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

function responseFormat(chosen: AnswerSchema): { format: ChatCompletionCreateParamsNonStreaming['response_format']; wrapped: boolean } {
  const { schema, wrapped } = objectSchemaOf(chosen.schema);
  return {
    // strict: false: a compatible server's grammar enforces the schema as it is, and
    // strict's nullable rewrite would only make it longer; the caller validates and repairs.
    format: { type: 'json_schema', json_schema: { name: chosen.name, schema, strict: false } },
    wrapped,
  };
}

function functionTool(input: {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  strict: boolean;
}): ChatCompletionTool {
  return {
    type: 'function',
    function: {
      name: input.name,
      description: input.description,
      parameters: input.parameters,
      ...(input.strict ? { strict: true } : {}),
    },
  };
}

/**
 * Maps a neutral request to a Chat Completions body for OpenAI or a compatible server.
 * Structured answers by `mode`: `tools` sends every answer the agent may give as a strict
 * function tool after its own tools (a fixed list, so the cached prefix stays identical)
 * and names this call's in `tool_choice` (`required` in a tool loop); `json_schema`
 * sends only this call's schema as `response_format` (a local server turns it into a
 * grammar and keeps it out of the prompt, so its KV cache is unaffected); `prompt` puts
 * the schema into the last user message.
 */
export function toChatRequest(input: { request: LlmRequest; dialect: OpenAIDialect; mode?: OpenAIStructuredMode }): ChatRequest {
  const { dialect } = input;
  const mode = input.mode ?? (dialect === 'openai' ? 'tools' : 'json_schema');
  const request = mode === 'prompt' ? withAnswerInPrompt(input.request) : input.request;
  const messages: ChatCompletionMessageParam[] = [];
  if (request.system !== '') messages.push({ role: 'system', content: request.system });
  for (const message of request.messages) messages.push(toMessage(message));
  const body: ChatCompletionCreateParamsNonStreaming = { model: request.model, messages };
  // OpenAI's reasoning models refuse `max_tokens`; many compatible servers (older vLLM,
  // Ollama, LM Studio) ignore the newer `max_completion_tokens` and would run unbounded.
  if (dialect === 'openai') body.max_completion_tokens = request.maxTokens;
  else body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  const ownTools = request.tools ?? [];
  const { answers, chosen } = answerSetOf(request);
  const inLoop = ownTools.length > 0;
  // A loop offers answer tools only when the caller named its answers; else its answer is free text.
  const answerTools = mode === 'tools' ? answerToolsOf(inLoop && request.answerSchemas === undefined ? [] : answers) : [];
  const sentAnswers = new Map<string, { wrapped: boolean; schema: Record<string, unknown>; strict: boolean }>();
  const tools: ChatCompletionTool[] = ownTools.map((tool) =>
    functionTool({ name: tool.name, description: tool.description, parameters: tool.inputSchema, strict: false }),
  );
  for (const tool of answerTools) {
    const strict = strictJsonSchema(tool.inputSchema);
    tools.push(
      functionTool({
        name: tool.name,
        description: tool.description,
        parameters: strict ?? tool.inputSchema,
        strict: strict !== undefined,
      }),
    );
    sentAnswers.set(tool.name, { wrapped: tool.wrapped, schema: tool.inputSchema, strict: strict !== undefined });
  }
  if (tools.length > 0) {
    body.tools = tools;
    // tool_choice without tools is a 400, so it only goes with them.
    if (!inLoop && chosen !== undefined && sentAnswers.has(chosen.name)) {
      body.tool_choice = { type: 'function', function: { name: chosen.name } };
    } else if (request.toolChoice !== undefined) {
      body.tool_choice = toToolChoice(request.toolChoice);
    } else if (inLoop && sentAnswers.size > 0) {
      body.tool_choice = 'required';
    }
  }
  // OpenAI caches prefixes on its own; the key only improves routing. Others may reject it.
  if (dialect === 'openai' && request.cacheSystemPrompt !== false && request.system !== '') {
    body.prompt_cache_key = promptCacheKey(request.system);
  }
  let wrappedAnswer = false;
  // With tools of its own a response_format would constrain the turns that call them; the loop's answer is then text.
  if (mode === 'json_schema' && chosen !== undefined && !inLoop) {
    const { format, wrapped } = responseFormat(chosen);
    body.response_format = format;
    wrappedAnswer = wrapped;
  }
  return { body, wrappedAnswer, answerTools: sentAnswers };
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

function unwrapTextAnswer(text: string): string {
  try {
    const parsed = JSON.parse(text) as unknown;
    // Only a lone `answer` key is the wrapper: a resolution `{kind: 'answer', answer: …}` is an answer itself.
    if (isWrapper(parsed)) return JSON.stringify(parsed.answer);
  } catch {
    // Not JSON: returned unchanged, so the caller's validation and repair request see it.
  }
  return text;
}

// The answer in an answer tool's arguments: unwrapped, without strict mode's added nulls; raw text when not JSON (the repair shows it).
function answerText(raw: string, tool: { wrapped: boolean; schema: Record<string, unknown>; strict: boolean } | undefined): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw;
  }
  const cleaned = tool?.strict === true ? withoutAddedNulls(parsed, tool.schema) : parsed;
  return JSON.stringify(unwrapAnswer(cleaned, tool?.wrapped === true));
}

const STOP_REASONS: Readonly<Record<string, StopReason>> = { stop: 'end', tool_calls: 'tool_use', length: 'max_tokens' };

/** Turns a received choice into the neutral response; a refusal or content filter is a `ProviderError`. */
export function toOpenAIResponse(input: {
  received: ReceivedChoice;
  request: LlmRequest;
  wrappedAnswer: boolean;
  answerTools?: AnswerTools | undefined;
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
  let text = received.content ?? '';
  if (input.wrappedAnswer) text = unwrapTextAnswer(text);
  const answerTools = input.answerTools ?? new Map();
  const answerCall = received.toolCalls.find((call) => answerTools.has(call.name));
  if (answerCall !== undefined) text = answerText(answerCall.arguments, answerTools.get(answerCall.name));
  const toolCalls: ToolCall[] = received.toolCalls
    .filter((call) => call !== answerCall)
    .map((call) => ({ id: call.id, name: call.name, input: parseArguments(call.arguments) }));
  const stopReason = STOP_REASONS[received.finishReason ?? ''] ?? 'other';
  return {
    text,
    usage,
    // The requested id, not the dated snapshot the server names: prices are keyed by it.
    model: input.request.model,
    // An answer given through its tool ends the call, as a text answer would.
    stopReason: answerCall !== undefined && stopReason === 'tool_use' ? 'end' : stopReason,
    ...(answerCall === undefined ? {} : { answered: true }),
    latencyMs: input.latencyMs,
    simulated: false,
    ...(toolCalls.length === 0 ? {} : { toolCalls }),
    ...(requestId === undefined ? {} : { requestId }),
    reasoningTokens,
    responseModel: received.model === '' ? input.request.model : received.model,
  };
}
