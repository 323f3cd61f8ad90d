import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { costOf, priceOf } from '../../src/cost/index.js';
import { ProviderError } from '../../src/errors/index.js';
import { createAnthropicProvider, type AnthropicProviderSettings } from '../../src/providers/index.js';
import type { LlmRequest, LlmResponse } from '../../src/providers/index.js';
import { start, type AnthropicServer } from '../support/anthropic-server.js';
import { captureTimers } from '../support/captured-timers.js';
import { watchFetch } from '../support/watched-fetch.js';

// Sonnet 5: 2 / 10 USD per million tokens, cache writes 2.50, cache reads 0.20 (FACTS.md).
// Not Sonnet 4.5: the installed SDK prints a deprecation warning for it on every call.
const MODEL = 'claude-sonnet-5';
const KEY = 'sk-ant-test-key';
// The fake API counts ceil(characters / 4) tokens per text piece: 4 characters per token.
const tokensOf = (count: number, char = 'x'): string => char.repeat(count * 4);
// A timeout no other timer uses, so the test alone decides when it expires.
const TIMEOUT_MS = 3_600_000;

let server: AnthropicServer;

beforeEach(async () => {
  server = await start({ apiKey: KEY });
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await server.close();
});

function provider(settings: AnthropicProviderSettings = {}) {
  return createAnthropicProvider({ apiKey: KEY, baseURL: server.url, ...settings });
}

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: MODEL,
    system: tokensOf(100, 's'),
    messages: [{ role: 'user', content: tokensOf(50, 'u') }],
    maxTokens: 1000,
    metadata: { agentId: 'backend-1', role: 'backend', purpose: 'work', taskId: 'T1' },
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe.each(['never', 'always'] as const)('answers with stream: %s', (stream) => {
  it('returns text with exact usage and cost, and sends cache_control, the key and no temperature', async () => {
    server.script({ kind: 'text', text: tokensOf(20, 'a') });
    const clock = [1000, 1250];
    const response = await provider({ stream, now: () => clock.shift() ?? 0 }).complete(request({ temperature: 0.2 }));

    expect(response).toEqual<LlmResponse>({
      text: tokensOf(20, 'a'),
      // 100 system + 50 user tokens; the system prompt is below the 1024-token cache minimum.
      usage: { inputTokens: 150, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 },
      model: MODEL,
      stopReason: 'end',
      latencyMs: 250,
      simulated: false,
      requestId: 'req_fake_0001',
    });
    // 150 × 2 + 20 × 10 = 500 micro-dollars.
    expect(costOf(response.usage, priceOf(response.model))).toBeCloseTo(0.0005, 12);

    expect(server.requests).toHaveLength(1);
    const { headers, body } = server.requests[0] ?? expect.unreachable('no request reached the server');
    // This SDK sends the key as a bearer token (the API accepts it as well as x-api-key).
    expect(headers.authorization).toBe(`Bearer ${KEY}`);
    expect(headers['anthropic-version']).toBe('2026-10-21');
    expect(body.system).toEqual([{ type: 'text', text: tokensOf(100, 's'), cache_control: { type: 'ephemeral' } }]);
    expect(body.messages).toEqual([{ role: 'user', content: tokensOf(50, 'u') }]);
    expect(body.max_tokens).toBe(1000);
    expect(body).not.toHaveProperty('temperature');
    expect(body.stream === true).toBe(stream === 'always');
    server.assertComplete();
  });

  it('reports thinking tokens apart, inside outputTokens and priced once as output', async () => {
    server.script({ kind: 'text', text: tokensOf(50, 'a'), thinkingTokens: 300 });
    const response = await provider({ stream }).complete(request());
    expect(response.usage).toMatchObject({ outputTokens: 350, reasoningTokens: 300 });
    expect(costOf(response.usage, priceOf(MODEL))).toBeCloseTo(costOf({ ...response.usage, reasoningTokens: 0 }, priceOf(MODEL)), 12);
  });

  it('writes the cache on the first call and reads it on the second; inputTokens excludes both', async () => {
    const anthropic = provider({ stream });
    const system = tokensOf(2000, 's');
    server.script({ kind: 'text', text: tokensOf(50, 'a') }, { kind: 'text', text: tokensOf(50, 'b') });

    const first = await anthropic.complete(request({ system, messages: [{ role: 'user', content: tokensOf(100, 'u') }] }));
    const second = await anthropic.complete(request({ system, messages: [{ role: 'user', content: tokensOf(100, 'v') }] }));

    expect(first.usage).toEqual({ inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 2000 });
    expect(second.usage).toEqual({ inputTokens: 100, outputTokens: 50, cacheReadTokens: 2000, cacheWriteTokens: 0 });
    // 100 × 2 + 2000 × 2.50 + 50 × 10 = 5700 and 100 × 2 + 2000 × 0.20 + 50 × 10 = 1100 micro-dollars.
    expect(costOf(first.usage, priceOf(MODEL))).toBeCloseTo(0.0057, 12);
    expect(costOf(second.usage, priceOf(MODEL))).toBeCloseTo(0.0011, 12);
    server.assertComplete();
  });

  it('maps tools, tool choice and tool results, and returns tool calls', async () => {
    server.script({ kind: 'tool_use', name: 'read_file', input: { path: 'src/b.ts' }, text: 'Next file.' });
    const response = await provider({ stream }).complete(
      request({
        tools: [
          {
            name: 'read_file',
            description: 'Reads a file.',
            inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
          },
        ],
        toolChoice: 'any',
        messages: [
          { role: 'user', content: 'Review the two files.' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [
              { id: 'toolu_1', name: 'read_file', input: { path: 'src/a.ts' } },
              { id: 'toolu_2', name: 'read_file', input: { path: 'src/missing.ts' } },
            ],
          },
          { role: 'tool', toolCallId: 'toolu_1', toolName: 'read_file', content: 'export const a = 1;' },
          { role: 'tool', toolCallId: 'toolu_2', toolName: 'read_file', content: 'ENOENT', isError: true },
        ],
      }),
    );

    expect(response.text).toBe('Next file.');
    expect(response.stopReason).toBe('tool_use');
    expect(response.toolCalls).toEqual([{ id: 'toolu_fake_1', name: 'read_file', input: { path: 'src/b.ts' } }]);
    const { body } = server.requests[0] ?? expect.unreachable('no request reached the server');
    expect(body.tools).toEqual([
      {
        name: 'read_file',
        description: 'Reads a file.',
        input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any' });
    expect(body.messages).toEqual([
      { role: 'user', content: 'Review the two files.' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'src/a.ts' } },
          { type: 'tool_use', id: 'toolu_2', name: 'read_file', input: { path: 'src/missing.ts' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'export const a = 1;', is_error: false },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'ENOENT', is_error: true },
        ],
      },
    ]);
    server.assertComplete();
  });

  it('asks for structured output with a forced tool and returns its input as the text', async () => {
    const schema = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] };
    server.script({ kind: 'structured', input: { summary: 'done' } });
    const response = await provider({ stream }).complete(request({ responseJsonSchema: schema, responseName: 'task_report' }));

    expect(response.text).toBe('{"summary":"done"}');
    expect(response.stopReason).toBe('end');
    expect(response.toolCalls).toBeUndefined();
    const { body } = server.requests[0] ?? expect.unreachable('no request reached the server');
    expect(body.tools).toEqual([{ name: 'task_report', description: expect.any(String), input_schema: schema }]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'task_report' });
    server.assertComplete();
  });

  it('wraps a schema whose root is not an object (a discriminated union) and unwraps the answer', async () => {
    const union = z.discriminatedUnion('status', [
      z.object({ status: z.literal('done'), summary: z.string() }),
      z.object({ status: z.literal('blocked'), question: z.string() }),
    ]);
    const schema = z.toJSONSchema(union, { io: 'input' }) as Record<string, unknown>;
    expect(schema['type']).toBeUndefined();
    server.script({ kind: 'structured', input: { answer: { status: 'blocked', question: 'Which database?' } } });

    const response = await provider({ stream }).complete(request({ responseJsonSchema: schema }));

    expect(JSON.parse(response.text)).toEqual({ status: 'blocked', question: 'Which database?' });
    const { body } = server.requests[0] ?? expect.unreachable('no request reached the server');
    const { $schema: _dialect, ...inner } = schema;
    expect(body.tools?.[0]?.name).toBe('respond');
    expect(body.tools?.[0]?.input_schema).toEqual({
      type: 'object',
      properties: { answer: inner },
      required: ['answer'],
      additionalProperties: false,
    });
    server.assertComplete();
  });

  it('passes an answer that breaks the schema through as text, for the caller to repair', async () => {
    server.script({ kind: 'structured', input: 'not an object' });
    const response = await provider({ stream }).complete(request({ responseJsonSchema: { type: 'object', properties: {} } }));
    expect(response.text).toBe('"not an object"');
    server.assertComplete();
  });

  it('reports max_tokens as a stop reason and pause_turn as other', async () => {
    server.script({ kind: 'text', text: 'cut sho', stopReason: 'max_tokens' }, { kind: 'text', text: 'paused', stopReason: 'pause_turn' });
    const cut = await provider({ stream }).complete(request({ maxTokens: 64 }));
    expect(cut.stopReason).toBe('max_tokens');
    expect(cut.usage.outputTokens).toBe(64);
    expect((await provider({ stream }).complete(request())).stopReason).toBe('other');
    server.assertComplete();
  });

  it('throws a refusal as a non-retryable ProviderError with the reason', async () => {
    server.script({ kind: 'refusal', category: 'cyber', explanation: 'This looks like malware development.' });
    const error = await failure(provider({ stream }).complete(request()));
    expect(error).toMatchObject({ failure: 'refusal', retryable: false, requestId: 'req_fake_0001' });
    expect(error.message).toContain('This looks like malware development.');
    server.assertComplete();
  });

  it('maps the SDK timeout to a retryable timeout', async () => {
    server.script({ kind: 'text', text: 'too late', delayMs: 10_000 });
    const timers = captureTimers(TIMEOUT_MS);
    try {
      const pending = failure(provider({ stream, timeoutMs: TIMEOUT_MS }).complete(request()));
      await server.waitForRequests(1);
      timers.fireLast(); // the SDK's wait for the headers (a stream arms its silence deadline before it)
      const error = await pending;
      expect(error).toMatchObject({ failure: 'timeout', retryable: true });
      expect(error.message).toBe('anthropic: The request timed out before the response headers arrived. This is usually temporary: retry.');
    } finally {
      timers.restore();
    }
    expect(server.requests).toHaveLength(1);
  });

  it('maps a connection dropped mid-answer to a retryable connection failure', async () => {
    server.script({ kind: 'connection_drop', text: tokensOf(40, 'a') });
    const error = await failure(provider({ stream }).complete(request()));
    expect(error).toMatchObject({ failure: 'connection', retryable: true });
    server.assertComplete();
  });

  it('rejects with the abort reason, not a ProviderError, when the caller aborts', async () => {
    server.script({ kind: 'text', text: 'never sent', delayMs: 10_000 });
    const controller = new AbortController();
    const reason = new Error('run interrupted');
    const call = provider({ stream }).complete(request(), controller.signal);
    await server.waitForRequests(1);
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
  });
});

describe('request mapping', () => {
  it('forces a named tool, puts text before tool calls, and drops an empty system prompt', async () => {
    server.script({ kind: 'tool_use', name: 'run_tests', input: {} });
    await provider().complete(
      request({
        system: '',
        tools: [{ name: 'run_tests', description: 'Runs the tests.', inputSchema: { type: 'object', properties: {} } }],
        toolChoice: { name: 'run_tests' },
        messages: [
          { role: 'user', content: 'Check it.' },
          { role: 'assistant', content: 'Running them.', toolCalls: [{ id: 'toolu_9', name: 'run_tests', input: {} }] },
          { role: 'tool', toolCallId: 'toolu_9', toolName: 'run_tests', content: '3 passed' },
          { role: 'user', content: 'Again, please.' },
        ],
      }),
    );
    const { body } = server.requests[0] ?? expect.unreachable('no request reached the server');
    expect(body).not.toHaveProperty('system');
    expect(body.tool_choice).toEqual({ type: 'tool', name: 'run_tests' });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Running them.' },
        { type: 'tool_use', id: 'toolu_9', name: 'run_tests', input: {} },
      ],
    });
    expect(body.messages.slice(2)).toEqual([
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: '3 passed', is_error: false }] },
      { role: 'user', content: 'Again, please.' },
    ]);
    server.assertComplete();
  });

  it('moves $defs to the root when it wraps a schema, so $refs still resolve', async () => {
    const item = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
    const schema = { $defs: { Item: item }, anyOf: [{ $ref: '#/$defs/Item' }, { type: 'array', items: { $ref: '#/$defs/Item' } }] };
    server.script({ kind: 'structured', input: { answer: [{ id: 'a' }] } });
    const response = await provider().complete(request({ responseJsonSchema: schema }));
    expect(response.text).toBe('[{"id":"a"}]');
    expect(server.requests[0]?.body.tools?.[0]?.input_schema).toEqual({
      type: 'object',
      properties: { answer: { anyOf: schema.anyOf } },
      required: ['answer'],
      additionalProperties: false,
      $defs: { Item: item },
    });
    server.assertComplete();
  });
});

describe('errors', () => {
  it('maps 429 to a retryable rate_limit with retry-after in ms, after exactly one HTTP request', async () => {
    server.script({
      kind: 'http_error',
      status: 429,
      errorType: 'rate_limit_error',
      message: 'Number of requests has exceeded your rate limit',
      headers: { 'retry-after': '1' },
    });
    const error = await failure(provider().complete(request()));
    expect(error).toMatchObject({ failure: 'rate_limit', retryable: true, retryAfterMs: 1000, status: 429, requestId: 'req_fake_0001' });
    expect(error.message).toContain('rate limit');
    expect(server.requests).toHaveLength(1);
    server.assertComplete();
  });

  it('prefers retry-after-ms when the server sends it', async () => {
    server.script({
      kind: 'http_error',
      status: 429,
      errorType: 'rate_limit_error',
      message: 'slow down',
      headers: { 'retry-after': '1', 'retry-after-ms': '250' },
    });
    expect(await failure(provider().complete(request()))).toMatchObject({ retryAfterMs: 250 });
  });

  it.each([
    { status: 529, errorType: 'overloaded_error', expected: 'overloaded' },
    { status: 500, errorType: 'api_error', expected: 'server' },
    { status: 408, errorType: 'timeout_error', expected: 'timeout' },
  ])('maps $status to a retryable $expected', async ({ status, errorType, expected }) => {
    server.script({ kind: 'http_error', status, errorType, message: 'try again' });
    const error = await failure(provider().complete(request()));
    expect(error).toMatchObject({ failure: expected, retryable: true, status, requestId: 'req_fake_0001' });
    expect(server.requests).toHaveLength(1);
  });

  it('maps a rejected key to auth with exit code 2, naming the variable to check', async () => {
    const error = await failure(provider({ apiKey: 'sk-ant-wrong' }).complete(request()));
    expect(error).toMatchObject({ failure: 'auth', retryable: false, status: 401, exitCode: 2 });
    expect(error.message).toContain('ANTHROPIC_API_KEY');
  });

  it('maps 400 to a non-retryable invalid_request', async () => {
    server.script({ kind: 'http_error', status: 400, errorType: 'invalid_request_error', message: 'prompt is too long' });
    expect(await failure(provider().complete(request()))).toMatchObject({ failure: 'invalid_request', retryable: false, status: 400 });
  });

  it('cuts a stream that goes silent after the headers, as a retryable timeout', async () => {
    server.script({ kind: 'stall', text: tokensOf(40, 'a') });
    const watch = watchFetch();
    const client = new Anthropic({ apiKey: KEY, baseURL: server.url, fetch: watch.fetch });
    const timers = captureTimers(TIMEOUT_MS);
    try {
      const pending = failure(createAnthropicProvider({ client, stream: 'always', timeoutMs: TIMEOUT_MS }).complete(request()));
      await watch.bodyRead;
      timers.fireLast(); // the silence deadline: the SDK cleared its own with the headers
      const error = await pending;
      expect(error).toMatchObject({ failure: 'timeout', retryable: true, requestId: 'req_fake_0001' });
      expect(error.message).toBe(`anthropic: The stream sent nothing for ${TIMEOUT_MS} ms. This is usually temporary: retry.`);
    } finally {
      timers.restore();
    }
    server.assertComplete();
  });

  it('maps an error event inside a 200 stream to a retryable overloaded', async () => {
    server.script({ kind: 'stream_error', errorType: 'overloaded_error', message: 'Overloaded' });
    const error = await failure(provider({ stream: 'always' }).complete(request()));
    expect(error).toMatchObject({ failure: 'overloaded', retryable: true, status: undefined, requestId: 'req_fake_0001' });
  });

  it('maps a refused connection to a retryable connection failure', async () => {
    const closedUrl = server.url;
    await server.close();
    server = await start();
    const error = await failure(createAnthropicProvider({ apiKey: KEY, baseURL: closedUrl }).complete(request()));
    expect(error).toMatchObject({ failure: 'connection', retryable: true });
  });

  it('never lets an injected client retry on its own', async () => {
    server.script({ kind: 'http_error', status: 529, errorType: 'overloaded_error', message: 'Overloaded' });
    const client = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 3 });
    await failure(createAnthropicProvider({ client }).complete(request()));
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a signal aborted before the call without sending anything', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already stopped'));
    await expect(provider().complete(request(), controller.signal)).rejects.toThrow('already stopped');
    expect(server.requests).toHaveLength(0);
  });
});

describe('settings', () => {
  it('fails at creation when no API key is set', () => {
    vi.stubEnv('ANTHROPIC_API_KEY', '');
    let error: unknown;
    try {
      createAnthropicProvider({ baseURL: server.url });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ failure: 'missing_key', exitCode: 2 });
    expect((error as Error).message).toBe('anthropic: API key is missing. Set ANTHROPIC_API_KEY or pass --provider sim.');
  });

  it('reads the key from the environment', async () => {
    vi.stubEnv('ANTHROPIC_API_KEY', KEY);
    await createAnthropicProvider({ baseURL: server.url }).complete(request());
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('streams in auto mode only above 16000 max tokens', async () => {
    const anthropic = provider({ stream: 'auto' });
    await anthropic.complete(request({ maxTokens: 16_000 }));
    await anthropic.complete(request({ maxTokens: 32_000 }));
    expect(server.requests.map((recorded) => recorded.body.stream === true)).toEqual([false, true]);
  });

  it('leaves cache_control out when cacheSystemPrompt is false, and nothing is cached', async () => {
    const response = await provider().complete(request({ system: tokensOf(2000, 's'), cacheSystemPrompt: false }));
    expect(server.requests[0]?.body.system).toEqual([{ type: 'text', text: tokensOf(2000, 's') }]);
    expect(response.usage).toMatchObject({ inputTokens: 2050, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });
});
