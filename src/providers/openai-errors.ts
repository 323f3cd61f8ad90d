// The SDK's error module alone (the very classes the SDK throws): mapping errors must not
// import the whole SDK, which the provider loads only when it makes a client.
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai/core/error';
import { ProviderError } from '../errors/index.js';
import { retryAfterMsOf } from './retry-after.js';

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Parses OpenAI's rate-limit reset durations (`6m0s`, `1.5s`, `20ms`, `1h2m`) into ms; undefined if unreadable. */
export function parseResetDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(DURATION_PART)) {
    // Every character must belong to a part: "5 minutes" is not a duration we understand.
    if (match.index !== consumed) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
    consumed += match[0].length;
  }
  return consumed === trimmed.length ? Math.round(total) : undefined;
}

// When a rate limit frees up, from OpenAI's reset clocks (sent on every answer, so they
// only mean "wait" on a 429). Prefer the exhausted limit's clock; if neither says
// "0 remaining", wait for the later one.
function rateLimitResetMsOf(headers: Headers): number | undefined {
  const resets: { remaining: string | null; ms: number | undefined }[] = ['requests', 'tokens'].map((kind) => ({
    remaining: headers.get(`x-ratelimit-remaining-${kind}`),
    ms: parseResetDuration(headers.get(`x-ratelimit-reset-${kind}`) ?? ''),
  }));
  const known = resets.filter((reset) => reset.ms !== undefined);
  const exhausted = known.filter((reset) => reset.remaining === '0');
  const candidates = (exhausted.length > 0 ? exhausted : known).map((reset) => reset.ms ?? 0);
  return candidates.length === 0 ? undefined : Math.max(...candidates);
}

// Our messages go on after the server's words, so those must end a sentence.
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

// The SDK's message starts with the status ("429 Rate limit…"); ours says the status itself.
function detailOf(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  return sentence(typeof body?.message === 'string' ? body.message : error.message);
}

/** Options of `mapOpenAIError`. */
export interface MapOpenAIErrorOptions {
  /** Provider name the error carries, e.g. 'openrouter'; default 'openai'. */
  provider?: string;
  /** Wall clock in epoch ms, for a `retry-after` given as an HTTP date (default `Date.now`). */
  now?: () => number;
}

/**
 * Maps anything the OpenAI SDK (or a stream) throws to one `ProviderError`, deciding
 * what is retryable. The SDK itself never retries here (maxRetries 0): `retry.ts` does.
 * Aborts are not mapped: callers rethrow their signal's reason before calling this.
 */
export function mapOpenAIError(error: unknown, options: MapOpenAIErrorOptions = {}): ProviderError {
  const provider = options.provider ?? 'openai';
  const now = options.now ?? Date.now;
  if (error instanceof ProviderError) return error;
  if (error instanceof APIUserAbortError) {
    return new ProviderError({ provider, message: 'The request was aborted.', failure: 'other', cause: error });
  }
  // Timeout is a subclass of connection error: test it first. `TimeoutError` is the
  // reason the provider's whole-call deadline aborts with (as `AbortSignal.timeout` does).
  if (error instanceof APIConnectionTimeoutError || (error instanceof Error && error.name === 'TimeoutError')) {
    return new ProviderError({
      provider,
      message: 'The request timed out before the answer was complete. Raise timeout_seconds for this provider if answers are long.',
      failure: 'timeout',
      retryable: true,
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new ProviderError({
      provider,
      message: `Could not reach the server: ${sentence(error.message)} Check the base URL and your network.`,
      failure: 'connection',
      retryable: true,
      cause: error,
    });
  }
  if (!(error instanceof APIError)) {
    const message = error instanceof Error ? error.message : String(error);
    return new ProviderError({ provider, message: `Unexpected error: ${sentence(message)}`, failure: 'other', cause: error });
  }

  const status = error.status;
  const base = {
    provider,
    cause: error,
    ...(status === undefined ? {} : { status }),
    ...(error.requestID == null ? {} : { requestId: error.requestID }),
  };
  const detail = detailOf(error);
  if (status === undefined) {
    // An error event inside an HTTP 200 stream: the body names what happened.
    const rateLimited = error.code === 'rate_limit_exceeded' || error.type === 'rate_limit_error';
    return new ProviderError({
      ...base,
      message: `The stream failed: ${detail}`,
      failure: rateLimited ? 'rate_limit' : 'server',
      retryable: true,
    });
  }
  if (status === 429) {
    const retryAfterMs = retryAfterMsOf(error.headers, now) ?? rateLimitResetMsOf(error.headers);
    // insufficient_quota is a 429 too, but waiting does not help: the account needs credit.
    const quota = error.code === 'insufficient_quota';
    return new ProviderError({
      ...base,
      message: quota
        ? `The account has no quota left (429 insufficient_quota): ${detail} Add credit or use another key.`
        : `Rate limited (429): ${detail}`,
      failure: 'rate_limit',
      retryable: !quota,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 401 || status === 403) {
    return new ProviderError({
      ...base,
      message: `The server rejected the API key (${status}): ${detail} Check OPENAI_API_KEY (or the key configured for this provider).`,
      failure: 'auth',
      exitCode: 2,
    });
  }
  if (status === 408 || status === 409) {
    return new ProviderError({
      ...base,
      message: `The server asked to try again (${status}): ${detail}`,
      failure: status === 408 ? 'timeout' : 'other',
      retryable: true,
    });
  }
  if (status >= 500) {
    const retryAfterMs = retryAfterMsOf(error.headers, now);
    return new ProviderError({
      ...base,
      message: `Server error (${status}): ${detail}`,
      failure: status === 503 ? 'overloaded' : 'server',
      retryable: true,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 400 || status === 404 || status === 413 || status === 422) {
    return new ProviderError({
      ...base,
      message: `The request was refused (${status}): ${detail} Check the model id and the request size.`,
      failure: 'invalid_request',
    });
  }
  return new ProviderError({ ...base, message: `Unexpected status ${status}: ${detail}`, failure: 'other' });
}
