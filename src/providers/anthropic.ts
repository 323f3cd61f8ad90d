/**
 * The Anthropic Messages API behind the `LlmProvider` contract: maps requests to the
 * wire shape, normalizes usage (Anthropic's `input_tokens` excludes cache reads and
 * writes) and maps every SDK error to one `ProviderError` in `mapAnthropicError`.
 */
import Anthropic, { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { ProviderError, type ProviderFailure } from '../errors/index.js';
import { getLogger } from '../observability/index.js';
import type { LlmProvider, LlmRequest, LlmResponse, Message, StopReason, ToolCall, Usage } from './types.js';

/** Settings of the Anthropic provider. */
export interface AnthropicProviderSettings {
  /** Defaults to the environment variable named by `apiKeyEnv`. */
  apiKey?: string | undefined;
  /** The environment variable holding the key, named in error messages (default ANTHROPIC_API_KEY). */
  apiKeyEnv?: string | undefined;
  /** Defaults to what the SDK reads from ANTHROPIC_BASE_URL, else the public API. */
  baseURL?: string | undefined;
  /** An SDK client to use instead of creating one (tests); `apiKey`, `baseURL` and `defaultHeaders` are then ignored. */
  client?: Anthropic | undefined;
  /** Per-request timeout in ms until the response headers, and the longest silence of a stream (default 600000). */
  timeoutMs?: number | undefined;
  /** 'auto' streams when maxTokens > 16000 (default), 'always' and 'never' force it. */
  stream?: 'always' | 'never' | 'auto' | undefined;
  /** Headers sent with every request. */
  defaultHeaders?: Record<string, string> | undefined;
  /** Clock for `latencyMs`; defaults to `performance.now`. */
  now?: (() => number) | undefined;
}

const PROVIDER = 'anthropic';
const DEFAULT_API_KEY_ENV = 'ANTHROPIC_API_KEY';
const DEFAULT_TIMEOUT_MS = 600_000;
// The SDK refuses non-streaming calls it expects to run past 10 minutes (~21k max_tokens)
// when no timeout is given; we always give one, but a long silent response is still
// what proxies drop, so large answers stream well below that line.
const STREAM_ABOVE_MAX_TOKENS = 16_000;
const DEFAULT_RESPONSE_NAME = 'respond';
// Tool input must be an object, so a schema whose root is not one is wrapped under this key.
const WRAPPED_KEY = 'answer';

const logger = getLogger('providers.anthropic');

/** How a structured answer travels as a forced tool call. */
type StructuredTool = { readonly name: string; readonly wrapped: boolean };

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

function toAnthropicParams(request: LlmRequest): {
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
  return {
    // Anthropic's input_tokens already excludes the cached prefix, unlike OpenAI's prompt_tokens.
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheReadTokens: usage.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage.cache_creation_input_tokens ?? 0,
  };
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

function toResponse(input: {
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

function retryAfterMsOf(headers: Headers | undefined): number | undefined {
  // Anthropic sends whole seconds in retry-after; retry-after-ms is the finer, non-standard form.
  const milliseconds = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const seconds = Number.parseFloat(headers?.get('retry-after') ?? '');
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

// An `error` event inside a 200 stream has no status; its type says what it would have been.
const STATUS_OF_ERROR_TYPE: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function classifyStatus(status: number): { failure: ProviderFailure; retryable: boolean } {
  if (status === 429) return { failure: 'rate_limit', retryable: true };
  if (status === 529) return { failure: 'overloaded', retryable: true };
  if (status === 408) return { failure: 'timeout', retryable: true };
  // 409 is a lock timeout on Anthropic's side: the SDK retries it too.
  if (status === 409) return { failure: 'other', retryable: true };
  if (status >= 500) return { failure: 'server', retryable: true };
  if (status === 401 || status === 403) return { failure: 'auth', retryable: false };
  return { failure: 'invalid_request', retryable: false };
}

function hintFor({
  failure,
  retryAfterMs,
  apiKeyEnv,
}: {
  failure: ProviderFailure;
  retryAfterMs: number | undefined;
  apiKeyEnv: string;
}): string {
  switch (failure) {
    case 'rate_limit':
      return retryAfterMs === undefined
        ? 'Retry later or lower the concurrency.'
        : `Retry after ${retryAfterMs / 1000} s or lower the concurrency.`;
    case 'overloaded':
    case 'server':
    case 'timeout':
    case 'connection':
      return 'This is usually temporary: retry.';
    case 'auth':
      return `Check ${apiKeyEnv}: it must hold a valid key with access to this model.`;
    case 'invalid_request':
      return 'The request was rejected as sent: check the model id, max tokens and prompt size.';
    default:
      return 'Retry, and report it if it persists.';
  }
}

/** Options of `mapAnthropicError`. */
export interface MapAnthropicErrorOptions {
  /** The environment variable an auth error tells the user to check (default ANTHROPIC_API_KEY). */
  apiKeyEnv?: string | undefined;
}

/** What an SDK error means for the caller, before it becomes a ProviderError. */
interface Classified {
  failure: ProviderFailure;
  retryable: boolean;
  what: string;
  status?: number | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
}

// A socket closed mid-response surfaces as undici's TypeError ("terminated"), bare from
// `create` or wrapped in an AnthropicError by the stream helper.
function brokenConnection(error: unknown): TypeError | undefined {
  const candidate = error instanceof AnthropicError ? error.cause : error;
  return candidate instanceof TypeError &&
    /terminated|socket|ECONNRESET|other side closed/i.test(`${candidate.message} ${String(candidate.cause)}`)
    ? candidate
    : undefined;
}

function classify(error: unknown): Classified {
  // Subclasses first: a timeout is an APIConnectionError, and both are APIErrors.
  if (error instanceof APIConnectionTimeoutError)
    return { failure: 'timeout', retryable: true, what: 'The request timed out before the response headers arrived' };
  if (error instanceof APIConnectionError)
    return { failure: 'connection', retryable: true, what: `Could not reach the API (${error.message})` };
  if (error instanceof APIUserAbortError) return { failure: 'other', retryable: false, what: 'The request was aborted' };
  if (error instanceof APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    const equivalent = status ?? STATUS_OF_ERROR_TYPE[error.type ?? ''];
    const detail = `${error.type ?? 'unknown_error'}: ${error.apiMessage ?? error.message}`;
    return {
      ...(equivalent === undefined ? { failure: 'other', retryable: false } : classifyStatus(equivalent)),
      what: status === undefined ? `The response stream carried an error (${detail})` : `HTTP ${status} (${detail})`,
      status,
      requestId: error.requestID ?? undefined,
      retryAfterMs: retryAfterMsOf(error.headers),
    };
  }
  const broken = brokenConnection(error);
  if (broken !== undefined)
    return { failure: 'connection', retryable: true, what: `The connection broke during the response (${broken.message})` };
  return { failure: 'other', retryable: false, what: `Unexpected error (${error instanceof Error ? error.message : String(error)})` };
}

/**
 * Maps anything the SDK (or a stream) throws to one ProviderError and decides what is
 * retryable. Aborts are not mapped: callers rethrow their signal's reason before this.
 */
export function mapAnthropicError(error: unknown, options: MapAnthropicErrorOptions = {}): ProviderError {
  if (error instanceof ProviderError) return error;
  const { failure, retryable, what, status, requestId, retryAfterMs } = classify(error);
  const id = requestId === undefined ? '' : ` [request ${requestId}]`;
  return new ProviderError({
    provider: PROVIDER,
    message: `${what}${id}. ${hintFor({ failure, retryAfterMs, apiKeyEnv: options.apiKeyEnv ?? DEFAULT_API_KEY_ENV })}`,
    failure,
    retryable,
    cause: error,
    ...(status === undefined ? {} : { status }),
    ...(requestId === undefined ? {} : { requestId }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(failure === 'auth' ? { exitCode: 2 } : {}),
  });
}

/** Creates the Anthropic provider; fails at once when no API key is configured. */
export function createAnthropicProvider(settings: AnthropicProviderSettings = {}): LlmProvider {
  const apiKeyEnv = settings.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const client = settings.client ?? createClient(settings, apiKeyEnv);
  const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const streamMode = settings.stream ?? 'auto';
  const now = settings.now ?? (() => performance.now());

  async function call({
    params,
    streaming,
    signal,
  }: {
    params: Anthropic.MessageCreateParamsNonStreaming;
    streaming: boolean;
    signal: AbortSignal | undefined;
  }): Promise<{ message: Anthropic.Message; requestId: string | undefined }> {
    // maxRetries 0 here too, so an injected client with its own retries cannot stack them
    // under the retry wrapper (src/providers/retry.ts), the one retry layer.
    const options: Anthropic.RequestOptions = { timeout, maxRetries: 0, ...(signal === undefined ? {} : { signal }) };
    if (streaming) {
      const stream = client.messages.stream(params, options);
      // The SDK's timeout ends at the response headers: a stream that then goes silent would
      // hang its agent for good, so a silence as long as the timeout ends it too.
      let silent = false;
      const onSilence = (): void => {
        silent = true;
        stream.abort();
      };
      const timer = setTimeout(onSilence, timeout);
      stream.on('streamEvent', () => timer.refresh());
      try {
        const message = await stream.finalMessage();
        return { message, requestId: stream.request_id ?? undefined };
      } catch (error) {
        const what = `The stream sent nothing for ${timeout} ms. This is usually temporary: retry.`;
        if (!silent) throw error;
        throw new ProviderError({
          provider: PROVIDER,
          failure: 'timeout',
          retryable: true,
          message: what,
          requestId: stream.request_id ?? undefined,
          cause: error,
        });
      } finally {
        clearTimeout(timer);
      }
    }
    const { data, request_id } = await client.messages.create(params, options).withResponse();
    return { message: data, requestId: request_id ?? undefined };
  }

  return {
    name: PROVIDER,
    simulated: false,
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
      signal?.throwIfAborted();
      const { params, structured } = toAnthropicParams(request);
      const streaming = streamMode === 'always' || (streamMode === 'auto' && request.maxTokens > STREAM_ABOVE_MAX_TOKENS);
      const started = now();
      let result: Awaited<ReturnType<typeof call>>;
      try {
        result = await call({ params, streaming, signal });
      } catch (error) {
        // The SDK turns the caller's abort into its own error; cancellation stays cancellation.
        if (signal?.aborted === true) throw signal.reason;
        throw mapAnthropicError(error, { apiKeyEnv });
      }
      const response = toResponse({ ...result, structured, latencyMs: now() - started });
      const { model, requestId, stopReason, usage, latencyMs } = response;
      logger.debug('anthropic call', { agentId: request.metadata.agentId, model, requestId, stopReason, usage, latencyMs, streaming });
      return response;
    },
  };
}

function createClient(settings: AnthropicProviderSettings, apiKeyEnv: string): Anthropic {
  const apiKey = settings.apiKey ?? process.env[apiKeyEnv];
  if (apiKey === undefined || apiKey === '') {
    throw new ProviderError({
      provider: PROVIDER,
      failure: 'missing_key',
      exitCode: 2,
      message: `API key is missing. Set ${apiKeyEnv} or pass --provider sim.`,
    });
  }
  return new Anthropic({
    apiKey,
    // Retries belong to the retry wrapper (src/providers/retry.ts); SDK retries under it
    // would multiply attempts and hide each one from budgets and logs.
    maxRetries: 0,
    timeout: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(settings.baseURL === undefined ? {} : { baseURL: settings.baseURL }),
    ...(settings.defaultHeaders === undefined ? {} : { defaultHeaders: settings.defaultHeaders }),
  });
}
