import type OpenAI from 'openai';
import { ProviderError } from '../errors/index.js';
import { getLogger } from '../observability/index.js';
import { mapOpenAIError } from './openai-errors.js';
import {
  ChunkAssembler,
  receivedFromCompletion,
  toChatRequest,
  toOpenAIResponse,
  type AnswerTools,
  type OpenAIDialect,
  type OpenAIResponse,
  type OpenAIStructuredMode,
  type ReceivedChoice,
} from './openai-mapping.js';
import { loadTokenizerOnceSent } from './tokenizer.js';
import type { LlmProvider, LlmRequest } from './types.js';

export { mapOpenAIError, parseResetDuration, type MapOpenAIErrorOptions } from './openai-errors.js';
export { promptCacheKey, type OpenAIDialect, type OpenAIResponse, type OpenAIStructuredMode } from './openai-mapping.js';

/** OpenAI's own API, the SDK's default base URL. */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

const DEFAULT_TIMEOUT_MS = 600_000;
// Ollama, vLLM and LM Studio ignore the key, but the SDK refuses to start without one.
const PLACEHOLDER_KEY = 'not-needed';

/** Settings of the OpenAI (and OpenAI-compatible) provider. */
export interface OpenAIProviderSettings {
  /** Else OPENAI_API_KEY; required for OpenAI itself, optional for a custom `baseURL`. */
  apiKey?: string | undefined;
  /** Else OPENAI_BASE_URL, else OpenAI's; e.g. `http://localhost:11434/v1` for Ollama. */
  baseURL?: string | undefined;
  /** A ready client (tests); `apiKey`, `baseURL` and `defaultHeaders` are then ignored. */
  client?: OpenAI | undefined;
  /** Time a whole call may take, streamed body included; default 10 minutes. */
  timeoutMs?: number | undefined;
  /** Stream the answer (with usage in the last chunk); default false. */
  stream?: boolean | undefined;
  /** Provider name in errors and logs, e.g. 'openrouter'; default 'openai'. */
  name?: string | undefined;
  /** Extra headers on every request (OpenRouter's `HTTP-Referer`, a gateway's auth…). */
  defaultHeaders?: Record<string, string> | undefined;
  /** Monotonic clock for `latencyMs`, in ms. */
  now?: (() => number) | undefined;
  /** Wall clock in epoch ms, for a `retry-after` given as an HTTP date; defaults to `Date.now`. */
  wallClock?: (() => number) | undefined;
  /**
   * How structured answers are asked for: 'tools' (strict answer tools), 'json_schema'
   * (`response_format`), 'prompt' (the schema in the last user message); 'auto' (default)
   * is tools for OpenAI's own API and json_schema for any other base URL.
   */
  structuredOutput?: 'auto' | OpenAIStructuredMode | undefined;
}

/** The OpenAI provider: an `LlmProvider` whose answers also carry reasoning tokens and the served model. */
export interface OpenAIProvider extends LlmProvider {
  complete(request: LlmRequest, signal?: AbortSignal): Promise<OpenAIResponse>;
}

/** 'openai' when the base URL is OpenAI's own API, else 'compatible'. */
export function dialectOf(baseURL: string): OpenAIDialect {
  try {
    return new URL(baseURL).hostname === 'api.openai.com' ? 'openai' : 'compatible';
  } catch {
    return 'compatible';
  }
}

let sdkImport: Promise<typeof import('openai')> | undefined;

// The SDK costs ~150 ms of start-up to import: it is imported once per process, when the
// first provider is made, so a sim or Anthropic run never loads it.
function importSdk(): Promise<typeof import('openai')> {
  sdkImport ??= import('openai');
  return sdkImport;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Checks the key at once (a missing key fails before any call); the client follows the SDK's import. */
function createClient(settings: OpenAIProviderSettings, name: string, timeoutMs: number): { baseURL: string; client: Promise<OpenAI> } {
  const baseURL = nonEmpty(settings.baseURL) ?? nonEmpty(process.env['OPENAI_BASE_URL']) ?? OPENAI_DEFAULT_BASE_URL;
  let apiKey = nonEmpty(settings.apiKey) ?? nonEmpty(process.env['OPENAI_API_KEY']);
  if (apiKey === undefined) {
    if (dialectOf(baseURL) === 'openai') {
      throw new ProviderError({
        provider: name,
        message: 'API key is missing. Set OPENAI_API_KEY or pass --provider sim.',
        failure: 'missing_key',
        exitCode: 2,
      });
    }
    apiKey = PLACEHOLDER_KEY;
  }
  const client = importSdk().then(
    ({ default: OpenAIClient }) =>
      new OpenAIClient({
        apiKey,
        baseURL,
        // Never retry in the SDK: src/providers/retry.ts is the one retry layer, and two
        // stacked layers would multiply attempts and ignore each other's backoff.
        maxRetries: 0,
        timeout: timeoutMs,
        ...(settings.defaultHeaders === undefined ? {} : { defaultHeaders: settings.defaultHeaders }),
      }),
  );
  // An import that fails is reported by the first call; until then it must not end the process.
  client.catch(() => undefined);
  return { baseURL, client };
}

/**
 * Creates a provider for OpenAI's Chat Completions API or any server that speaks it
 * (Ollama, vLLM, LM Studio, OpenRouter). A missing key for OpenAI itself fails here,
 * before any call.
 */
export function createOpenAIProvider(settings: OpenAIProviderSettings = {}): OpenAIProvider {
  const name = settings.name ?? 'openai';
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { baseURL, client } =
    settings.client === undefined
      ? createClient(settings, name, timeoutMs)
      : { baseURL: settings.client.baseURL, client: Promise.resolve(settings.client) };
  const dialect = dialectOf(baseURL);
  const stream = settings.stream ?? false;
  const mode: OpenAIStructuredMode =
    settings.structuredOutput === undefined || settings.structuredOutput === 'auto'
      ? dialect === 'openai'
        ? 'tools'
        : 'json_schema'
      : settings.structuredOutput;
  const now = settings.now ?? (() => performance.now());
  const logger = getLogger(`providers.${name}`);

  async function receive(
    request: LlmRequest,
    signal: AbortSignal,
  ): Promise<{ received: ReceivedChoice; wrappedAnswer: boolean; answerTools: AnswerTools; requestId: string | undefined }> {
    const { body, wrappedAnswer, answerTools } = toChatRequest({ request, dialect, mode });
    // Per request too, so an injected client cannot bring its own retries back.
    const options = { signal, maxRetries: 0, timeout: timeoutMs };
    const sdkClient = await client;
    if (!stream) {
      const { data, response } = await sdkClient.chat.completions.create(body, options).withResponse();
      return {
        received: receivedFromCompletion(data),
        wrappedAnswer,
        answerTools,
        requestId: response.headers.get('x-request-id') ?? undefined,
      };
    }
    const { data, response } = await sdkClient.chat.completions
      .create({ ...body, stream: true, stream_options: { include_usage: true } }, options)
      .withResponse();
    const assembler = new ChunkAssembler();
    for await (const chunk of data) assembler.add(chunk);
    // The SDK ends a stream quietly when aborted: a partial answer must not pass as whole.
    signal.throwIfAborted();
    return { received: assembler.result(), wrappedAnswer, answerTools, requestId: response.headers.get('x-request-id') ?? undefined };
  }

  return {
    name,
    simulated: false,
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<OpenAIResponse> {
      signal?.throwIfAborted();
      const started = now();
      // The SDK's timeout ends once the headers arrive; this deadline also bounds the body,
      // so a stalled stream cannot hold a call (and its budget reservation) for ever. Armed
      // with setTimeout as the SDK arms its own, and cleared as soon as the call ends.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new DOMException('The operation timed out.', 'TimeoutError')), timeoutMs);
      // The answer takes a while: the tokenizer, which later counts need, loads meanwhile.
      loadTokenizerOnceSent();
      let outcome: Awaited<ReturnType<typeof receive>>;
      try {
        outcome = await receive(request, signal === undefined ? deadline.signal : AbortSignal.any([signal, deadline.signal]));
      } catch (error) {
        // A caller's abort is not a provider failure: it ends with the caller's own reason.
        if (signal?.aborted === true) throw signal.reason;
        const mapped = mapOpenAIError(deadline.signal.aborted ? deadline.signal.reason : error, {
          provider: name,
          ...(settings.wallClock === undefined ? {} : { now: settings.wallClock }),
        });
        logger.debug('call failed', { model: request.model, failure: mapped.failure, status: mapped.status, requestId: mapped.requestId });
        throw mapped;
      } finally {
        clearTimeout(timer);
      }
      const response = toOpenAIResponse({ ...outcome, request, provider: name, latencyMs: Math.round(now() - started) });
      logger.debug('call done', {
        model: request.model,
        requestId: response.requestId,
        usage: response.usage,
        reasoningTokens: response.reasoningTokens,
        latencyMs: response.latencyMs,
        stopReason: response.stopReason,
      });
      return response;
    },
  };
}
