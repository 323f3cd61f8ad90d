import { afterEach, describe, expect, it } from 'vitest';
import {
  createAnthropicProvider,
  createOpenAIProvider,
  withRetries,
  type LlmProvider,
  type LlmRequest,
} from '../../src/providers/index.js';
import { start as startAnthropic, type AnthropicServer } from '../support/anthropic-server.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';

let closeServer: (() => Promise<void>) | undefined;
afterEach(async () => {
  await closeServer?.();
  closeServer = undefined;
});

function request(model: string): LlmRequest {
  return {
    model,
    system: 'You answer briefly.',
    messages: [{ role: 'user', content: 'Say ok.' }],
    maxTokens: 100,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
  };
}

/** The adapter behind the retry layer, with waits recorded instead of slept. */
function retrying(provider: LlmProvider, options: { maxRetryAfterMs?: number } = {}): { provider: LlmProvider; waits: number[] } {
  const waits: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    waits.push(ms);
  };
  return { provider: withRetries(provider, { sleep, random: () => 0.5, baseDelayMs: 500, ...options }), waits };
}

// The wall clock the adapters read an HTTP-date retry-after against, fixed.
const NOW = Date.parse('Wed, 02 Dec 2026 07:00:00 GMT');

describe('retries over the wire (SDK retries off, ours on)', () => {
  it('anthropic: 429 with retry-after, then 529, then 500, then success', async () => {
    const server: AnthropicServer = await startAnthropic();
    closeServer = () => server.close();
    server.script(
      { kind: 'http_error', status: 429, errorType: 'rate_limit_error', message: 'slow down', headers: { 'retry-after': '2' } },
      { kind: 'http_error', status: 529, errorType: 'overloaded_error', message: 'overloaded' },
      { kind: 'http_error', status: 500, errorType: 'api_error', message: 'oops' },
      { kind: 'text', text: 'ok' },
    );
    const { provider, waits } = retrying(createAnthropicProvider({ baseURL: server.url, apiKey: 'sk-ant-test-key-0000' }));
    const response = await provider.complete(request('claude-sonnet-5'));
    expect(response.text).toBe('ok');
    expect(server.requests).toHaveLength(4);
    // retry-after honoured (2 s), then backoff with jitter 0.5 of 1 s and 2 s ceilings.
    expect(waits).toEqual([2000, 500, 1000]);
  });

  it('openai: 429 with retry-after, then 500, then success', async () => {
    const server: OpenAIServer = await startOpenAIServer();
    closeServer = () => server.close();
    server.script(
      { error: { status: 429, message: 'rate limited', type: 'rate_limit_error', headers: { 'retry-after': '1' } } },
      { error: { status: 500, message: 'server error' } },
      { text: 'ok' },
    );
    const { provider, waits } = retrying(createOpenAIProvider({ baseURL: server.url, apiKey: 'sk-test-key-0000' }));
    const response = await provider.complete(request('gpt-4.1'));
    expect(response.text).toBe('ok');
    expect(server.requests).toHaveLength(3);
    expect(waits).toEqual([1000, 500]);
  });

  it('anthropic: retry-after as an HTTP date is honoured, a past date retries at once, a far one is capped', async () => {
    const server: AnthropicServer = await startAnthropic();
    closeServer = () => server.close();
    const limited = (retryAfter: string) =>
      ({
        kind: 'http_error',
        status: 429,
        errorType: 'rate_limit_error',
        message: 'slow down',
        headers: { 'retry-after': retryAfter },
      }) as const;
    server.script(
      limited('Wed, 02 Dec 2026 07:00:05 GMT'),
      limited('Wed, 02 Dec 2026 06:59:00 GMT'),
      limited('Wed, 02 Dec 2026 09:00:00 GMT'),
      { kind: 'text', text: 'ok' },
    );
    const adapter = createAnthropicProvider({ baseURL: server.url, apiKey: 'sk-ant-test-key-0000', wallClock: () => NOW });
    const { provider, waits } = retrying(adapter, { maxRetryAfterMs: 60_000 });
    const response = await provider.complete(request('claude-sonnet-5'));
    expect(response.text).toBe('ok');
    expect(server.requests).toHaveLength(4);
    expect(waits).toEqual([5000, 0, 60_000]);
  });

  it('openai: retry-after as an HTTP date is honoured', async () => {
    const server: OpenAIServer = await startOpenAIServer();
    closeServer = () => server.close();
    server.script(
      {
        error: {
          status: 429,
          message: 'rate limited',
          type: 'rate_limit_error',
          headers: { 'retry-after': 'Wed, 02 Dec 2026 07:00:07 GMT' },
        },
      },
      { text: 'ok' },
    );
    const adapter = createOpenAIProvider({ baseURL: server.url, apiKey: 'sk-test-key-0000', wallClock: () => NOW });
    const { provider, waits } = retrying(adapter);
    const response = await provider.complete(request('gpt-4.1'));
    expect(response.text).toBe('ok');
    expect(waits).toEqual([7000]);
  });
});
