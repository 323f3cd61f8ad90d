/**
 * The Anthropic Messages API behind the `LlmProvider` contract: maps requests to the
 * wire shape, normalizes usage (Anthropic's `input_tokens` excludes cache reads and
 * writes) and maps every SDK error to one `ProviderError` in `mapAnthropicError`.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { ProviderError } from '../errors/index.js';
import { getLogger } from '../observability/index.js';
import { DEFAULT_API_KEY_ENV, mapAnthropicError, PROVIDER } from './anthropic-errors.js';
import { type AnthropicStructuredMode, toAnthropicParams, toResponse } from './anthropic-mapping.js';
import { loadTokenizerOnceSent } from './tokenizer.js';
import type { LlmProvider, LlmRequest, LlmResponse } from './types.js';

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
  /** Wall clock in epoch ms, for a `retry-after` given as an HTTP date; defaults to `Date.now`. */
  wallClock?: (() => number) | undefined;
  /** How structured answers are asked for: 'auto' and 'tools' (answer tools), or 'prompt' (the schema in the last user message). */
  structuredOutput?: 'auto' | AnthropicStructuredMode | undefined;
}

const DEFAULT_TIMEOUT_MS = 600_000;
// The SDK refuses non-streaming calls it expects to run past 10 minutes (~21k max_tokens)
// when no timeout is given; we always give one, but a long silent response is still
// what proxies drop, so large answers stream well below that line.
const STREAM_ABOVE_MAX_TOKENS = 16_000;

const logger = getLogger('providers.anthropic');

let sdkImport: Promise<typeof import('@anthropic-ai/sdk')> | undefined;

// The SDK costs ~200 ms of start-up to import: it is imported once per process, when the
// first provider is made, so a sim or OpenAI run never loads it, and the import runs while
// the run sets up rather than before the CLI can parse its arguments.
function importSdk(): Promise<typeof import('@anthropic-ai/sdk')> {
  sdkImport ??= import('@anthropic-ai/sdk');
  return sdkImport;
}

/** Creates the Anthropic provider; fails at once when no API key is configured. */
export function createAnthropicProvider(settings: AnthropicProviderSettings = {}): LlmProvider {
  const apiKeyEnv = settings.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  const client = settings.client === undefined ? createClient(settings, apiKeyEnv) : Promise.resolve(settings.client);
  // An import that fails is reported by the first call; until then it must not end the process.
  client.catch(() => undefined);
  const timeout = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const streamMode = settings.stream ?? 'auto';
  const now = settings.now ?? (() => performance.now());
  const structuredMode: AnthropicStructuredMode = settings.structuredOutput === 'prompt' ? 'prompt' : 'tools';

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
    const sdkClient = await client;
    if (streaming) {
      const stream = sdkClient.messages.stream(params, options);
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
    const { data, request_id } = await sdkClient.messages.create(params, options).withResponse();
    return { message: data, requestId: request_id ?? undefined };
  }

  return {
    name: PROVIDER,
    simulated: false,
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
      signal?.throwIfAborted();
      const { params, structured } = toAnthropicParams(request, structuredMode);
      const streaming = streamMode === 'always' || (streamMode === 'auto' && request.maxTokens > STREAM_ABOVE_MAX_TOKENS);
      const started = now();
      // The answer takes a while: the tokenizer, which later counts need, loads meanwhile.
      loadTokenizerOnceSent();
      let result: Awaited<ReturnType<typeof call>>;
      try {
        result = await call({ params, streaming, signal });
      } catch (error) {
        // The SDK turns the caller's abort into its own error; cancellation stays cancellation.
        if (signal?.aborted === true) throw signal.reason;
        throw mapAnthropicError(error, { apiKeyEnv, wallClock: settings.wallClock });
      }
      const response = toResponse({ ...result, structured, latencyMs: now() - started });
      const { model, requestId, stopReason, usage, latencyMs } = response;
      logger.debug('anthropic call', { agentId: request.metadata.agentId, model, requestId, stopReason, usage, latencyMs, streaming });
      return response;
    },
    async countInputTokens(request: LlmRequest, signal?: AbortSignal): Promise<number> {
      signal?.throwIfAborted();
      // Built from the very params `complete` sends, so the count is of what will be billed.
      const { params } = toAnthropicParams(request, structuredMode);
      const options: Anthropic.RequestOptions = { timeout, maxRetries: 0, ...(signal === undefined ? {} : { signal }) };
      try {
        const counted = await (await client).messages.countTokens(countParamsOf(params), options);
        return counted.input_tokens;
      } catch (error) {
        if (signal?.aborted === true) throw signal.reason;
        throw mapAnthropicError(error, { apiKeyEnv, wallClock: settings.wallClock });
      }
    },
  };
}

// The count endpoint takes a message's input fields only (no max_tokens, stream, metadata…).
function countParamsOf(params: Anthropic.MessageCreateParamsNonStreaming): Anthropic.MessageCountTokensParams {
  const { model, messages, system, tools, tool_choice, thinking, output_config, cache_control, speed } = params;
  return {
    model,
    messages,
    ...(system === undefined ? {} : { system }),
    ...(tools === undefined ? {} : { tools }),
    ...(tool_choice === undefined ? {} : { tool_choice }),
    ...(thinking === undefined ? {} : { thinking }),
    ...(output_config === undefined ? {} : { output_config }),
    ...(cache_control === undefined ? {} : { cache_control }),
    ...(speed === undefined ? {} : { speed }),
  };
}

/** Checks the key at once (a missing key fails before any call); the client follows the SDK's import. */
function createClient(settings: AnthropicProviderSettings, apiKeyEnv: string): Promise<Anthropic> {
  const apiKey = settings.apiKey ?? process.env[apiKeyEnv];
  if (apiKey === undefined || apiKey === '') {
    throw new ProviderError({
      provider: PROVIDER,
      failure: 'missing_key',
      exitCode: 2,
      message: `API key is missing. Set ${apiKeyEnv} or pass --provider sim.`,
    });
  }
  return importSdk().then(
    ({ default: AnthropicClient }) =>
      new AnthropicClient({
        apiKey,
        // Retries belong to the retry wrapper (src/providers/retry.ts); SDK retries under it
        // would multiply attempts and hide each one from budgets and logs.
        maxRetries: 0,
        timeout: settings.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(settings.baseURL === undefined ? {} : { baseURL: settings.baseURL }),
        ...(settings.defaultHeaders === undefined ? {} : { defaultHeaders: settings.defaultHeaders }),
      }),
  );
}
