/** Every Anthropic SDK error mapped to one ProviderError: failure kind, status, retry-after, a hint. */
// The SDK's error module alone (two small files, the very classes the SDK throws): mapping
// errors must not import the whole SDK, which the provider loads only when it makes a client.
import { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk/core/error';
import { ProviderError, type ProviderFailure } from '../errors/index.js';
import { retryAfterMsOf } from './retry-after.js';

/** The provider name in errors, events and logs. */
export const PROVIDER = 'anthropic';
/** Where the API key is read from unless the settings name another variable. */
export const DEFAULT_API_KEY_ENV = 'ANTHROPIC_API_KEY';

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
  /** Wall clock in epoch ms, for a `retry-after` given as an HTTP date (default `Date.now`). */
  wallClock?: (() => number) | undefined;
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

function classify(error: unknown, wallClock: () => number): Classified {
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
      retryAfterMs: retryAfterMsOf(error.headers, wallClock),
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
  const { failure, retryable, what, status, requestId, retryAfterMs } = classify(error, options.wallClock ?? Date.now);
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
