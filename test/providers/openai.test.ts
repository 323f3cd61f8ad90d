import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { costOf, priceOf } from '../../src/cost/index.js';
import { ProviderError } from '../../src/errors/index.js';
import { parseResetDuration } from '../../src/providers/openai-errors.js';
import { promptCacheKey, type OpenAIResponse } from '../../src/providers/openai-mapping.js';
import { OPENAI_DEFAULT_BASE_URL } from '../../src/providers/openai.js';
import { createOpenAIProvider, type OpenAIProviderSettings } from '../../src/providers/index.js';
import type { LlmRequest } from '../../src/providers/index.js';
import { captureTimers } from '../support/captured-timers.js';
import { startOpenAIServer, type OpenAIServer, type OpenAIServerReply } from '../support/openai-server.js';
import { watchFetch, type WatchedFetch } from '../support/watched-fetch.js';

// A timeout no other timer uses, so the test alone decides when it expires.
const TIMEOUT_MS = 3_600_000;
const TIMEOUT_MESSAGE =
  'openai: The request timed out before the answer was complete. Raise timeout_seconds for this provider if answers are long.';

let server: OpenAIServer;

beforeEach(async () => {
  server = await startOpenAIServer();
});

afterEach(async () => {
  await server.close();
});

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: 'gpt-4.1',
    system: 'S'.repeat(400), // 100 tokens by the server's chars/4 estimate
    messages: [{ role: 'user', content: 'Say hi.' }], // 2 tokens
    maxTokens: 256,
    metadata: { agentId: 'backend-1', role: 'backend', purpose: 'work' },
    ...overrides,
  };
}

/** A provider talking to the fake server as an OpenAI-compatible base URL. */
function compatible(settings: OpenAIProviderSettings = {}) {
  return createOpenAIProvider({ apiKey: 'sk-test-key-123', baseURL: server.url, ...settings });
}

/** A provider on the fake server whose SDK client lets the test see when it starts reading an answer. */
function watched(watch: WatchedFetch, settings: OpenAIProviderSettings = {}) {
  const client = new OpenAI({ apiKey: 'sk-test-key-123', baseURL: server.url, fetch: watch.fetch });
  return createOpenAIProvider({ client, ...settings });
}

/** A provider that believes it talks to api.openai.com; the SDK's fetch is pointed at the fake server. */
function openai(settings: OpenAIProviderSettings = {}) {
  const client = new OpenAI({
    apiKey: 'sk-test-key-123',
    baseURL: OPENAI_DEFAULT_BASE_URL,
    fetch: (url, init) => fetch(String(url).replace(OPENAI_DEFAULT_BASE_URL, server.url), init),
  });
  return createOpenAIProvider({ client, ...settings });
}

async function withEnv<T>(values: Record<string, string | undefined>, run: () => Promise<T> | T): Promise<T> {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  const apply = (entries: Record<string, string | undefined>): void => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(values);
  try {
    return await run();
  } finally {
    apply(saved);
  }
}

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('openai provider: answers and usage', () => {
  it('maps a plain answer with exact usage, cost, request id and latency', async () => {
    server.script({ text: 'Hello there' });
    const ticks = [1000, 1250];
    const provider = openai({ now: () => ticks.shift() ?? 0 });
    const response = await provider.complete(request());

    expect(server.requests).toHaveLength(1);
    const sent = server.requests[0];
    expect(sent?.body).toEqual({
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: 'S'.repeat(400) },
        { role: 'user', content: 'Say hi.' },
      ],
      max_completion_tokens: 256,
      prompt_cache_key: promptCacheKey('S'.repeat(400)),
    });
    expect(sent?.headers['authorization']).toBe('Bearer sk-test-key-123');
    expect(response).toMatchObject({
      text: 'Hello there',
      model: 'gpt-4.1',
      responseModel: 'gpt-4.1-2025-04-14',
      stopReason: 'end',
      simulated: false,
      latencyMs: 250,
    });
    expect(response.requestId).toBe(sent?.requestId);
    // prompt 100 + 2 = 102, nothing cached; completion ceil(11 / 4) = 3.
    expect(response.usage).toEqual({ inputTokens: 102, outputTokens: 3, cacheReadTokens: 0, cacheWriteTokens: 0 });
    // gpt-4.1: 2 input / 0.50 cached / 8 output per million.
    expect(costOf(response.usage, priceOf('gpt-4.1'))).toBeCloseTo((102 * 2 + 0 * 0.5 + 3 * 8) / 1e6, 15);
    expect(provider).toMatchObject({ name: 'openai', simulated: false });
  });

  it('reads cached tokens out of prompt_tokens on a second call with the same long system prompt', async () => {
    const system = 'C'.repeat(4800); // 1200 tokens: cacheable, 9 steps of 128 = 1152
    server.script({ text: 'first' }, { text: 'second' });
    const provider = openai();
    const first = await provider.complete(request({ system }));
    const second = await provider.complete(request({ system }));

    expect(first.usage).toEqual({ inputTokens: 1202, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(second.usage).toEqual({ inputTokens: 1202 - 1152, outputTokens: 2, cacheReadTokens: 1152, cacheWriteTokens: 0 });
    expect(costOf(second.usage, priceOf('gpt-4.1'))).toBeCloseTo(((1202 - 1152) * 2 + 1152 * 0.5 + 2 * 8) / 1e6, 15);
    const keys = server.requests.map((sent) => sent.body.prompt_cache_key);
    expect(keys).toEqual([promptCacheKey(system), promptCacheKey(system)]);
  });

  it('keeps reasoning tokens inside outputTokens and reports them apart', async () => {
    server.script({ text: 'Done.', reasoningTokens: 64 });
    const response = await openai().complete(request());
    // completion_tokens = ceil(5 / 4) + 64 = 66.
    expect(response.usage.outputTokens).toBe(66);
    expect(response.reasoningTokens).toBe(64);
    expect(response.usage.reasoningTokens).toBe(64);
  });

  it('counts zero tokens when the server sends no usage', async () => {
    server.script({ text: 'no usage here', omitUsage: true }, { text: 'nor here', omitUsage: true });
    const zero = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect((await compatible().complete(request())).usage).toEqual(zero);
    expect((await compatible({ stream: true }).complete(request())).usage).toEqual(zero);
  });

  it('maps length to max_tokens, content_filter and refusals to refusal errors', async () => {
    server.script(
      { text: 'cut sho', finishReason: 'length' },
      { text: '', finishReason: 'content_filter' },
      { refusal: "I can't help with that." },
    );
    const provider = compatible();
    expect((await provider.complete(request())).stopReason).toBe('max_tokens');
    const filtered = await failureOf(provider.complete(request()));
    expect(filtered).toMatchObject({ failure: 'refusal', retryable: false });
    const refused = await failureOf(provider.complete(request()));
    expect(refused).toMatchObject({ failure: 'refusal', retryable: false });
    expect(refused.message).toContain("I can't help with that.");
  });
});

describe('openai provider: tools and structured output', () => {
  const tools = [
    {
      name: 'read_file',
      description: 'Reads a file.',
      inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    },
  ];
  const history: LlmRequest['messages'] = [
    { role: 'user', content: 'Read a.ts' },
    { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'read_file', input: { path: 'a.ts' } }] },
    { role: 'tool', toolCallId: 'call_1', toolName: 'read_file', content: 'export const a = 1;' },
    { role: 'tool', toolCallId: 'call_2', toolName: 'read_file', content: 'no such file', isError: true },
  ];

  it('sends tools, tool choice and tool turns, and maps tool calls back', async () => {
    server.script({
      toolCalls: [
        { id: 'call_abc', name: 'read_file', arguments: { path: 'b.ts' } },
        { id: 'call_def', name: 'read_file', arguments: '{"path": "c.ts' },
      ],
    });
    const response = await compatible().complete(request({ messages: history, tools, toolChoice: { name: 'read_file' } }));

    const body = server.requests[0]?.body;
    expect(body?.tools).toEqual([
      { type: 'function', function: { name: 'read_file', description: 'Reads a file.', parameters: tools[0]?.inputSchema } },
    ]);
    expect(body?.tool_choice).toEqual({ type: 'function', function: { name: 'read_file' } });
    expect(body?.messages.slice(1)).toEqual([
      { role: 'user', content: 'Read a.ts' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'export const a = 1;' },
      { role: 'tool', tool_call_id: 'call_2', content: 'Error: no such file' },
    ]);
    expect(response.stopReason).toBe('tool_use');
    // Unparsable arguments stay a raw string for the caller to show the model.
    expect(response.toolCalls).toEqual([
      { id: 'call_abc', name: 'read_file', input: { path: 'b.ts' } },
      { id: 'call_def', name: 'read_file', input: '{"path": "c.ts' },
    ]);
  });

  it("sends 'any' as required and leaves tool_choice out without tools", async () => {
    await compatible().complete(request({ tools, toolChoice: 'any' }));
    await compatible().complete(request({ toolChoice: 'any' }));
    expect(server.requests.map((sent) => sent.body.tool_choice)).toEqual(['required', undefined]);
  });

  it('sends an object schema as response_format and returns the content as is', async () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { summary: { type: 'string' } },
      required: ['summary'],
    };
    server.script({ json: { summary: 'done' } });
    const response = await compatible().complete(request({ responseJsonSchema: schema, responseName: 'work_report' }));
    const { $schema: _dialect, ...sentSchema } = schema;
    expect(server.requests[0]?.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'work_report', schema: sentSchema, strict: false },
    });
    expect(JSON.parse(response.text)).toEqual({ summary: 'done' });
  });

  it('wraps a oneOf root under answer and unwraps the answer; non-JSON comes back unchanged', async () => {
    const schema = {
      oneOf: [
        { $ref: '#/$defs/done' },
        { type: 'object', properties: { status: { const: 'blocked' }, question: { type: 'string' } }, required: ['status', 'question'] },
      ],
      $defs: { done: { type: 'object', properties: { status: { const: 'done' } }, required: ['status'] } },
    };
    server.script({ json: { answer: { status: 'blocked', question: 'Which database?' } } }, { text: 'Sorry, here it is: {' });
    const provider = compatible();
    const response = await provider.complete(request({ responseJsonSchema: schema }));
    expect(server.requests[0]?.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'respond',
        strict: false,
        schema: {
          type: 'object',
          properties: { answer: { oneOf: schema.oneOf } },
          required: ['answer'],
          additionalProperties: false,
          $defs: schema.$defs,
        },
      },
    });
    expect(response.text).toBe(JSON.stringify({ status: 'blocked', question: 'Which database?' }));
    expect((await provider.complete(request({ responseJsonSchema: schema }))).text).toBe('Sorry, here it is: {');
  });
});

describe('openai provider: streaming', () => {
  const replies: OpenAIServerReply[] = [
    { text: 'A streamed answer that spans several deltas.', reasoningTokens: 12 },
    {
      toolCalls: [
        { name: 'read_file', arguments: { path: 'src/index.ts' } },
        { name: 'list_files', arguments: { dir: 'src', depth: 2 } },
      ],
    },
    { json: { answer: { status: 'done' } } },
  ];

  it('gives the same text, tool calls, usage and stop reason as a JSON answer', async () => {
    const schema = { anyOf: [{ type: 'object', properties: { status: { const: 'done' } } }] };
    const requests = [
      request(),
      request({ tools: [{ name: 'read_file', description: 'Reads.', inputSchema: { type: 'object' } }] }),
      request({ responseJsonSchema: schema }),
    ];
    server.script(...replies, ...replies);
    const whole: OpenAIResponse[] = [];
    for (const each of requests) whole.push(await compatible().complete(each));
    const streamed = [];
    for (const each of requests) streamed.push(await compatible({ stream: true }).complete(each));

    const comparable = (response: OpenAIResponse) => {
      const { latencyMs: _latency, requestId: _id, ...rest } = response;
      return rest;
    };
    expect(streamed.map(comparable)).toEqual(whole.map(comparable));
    expect(streamed[1]?.toolCalls).toHaveLength(2);
    expect(streamed[2]?.text).toBe('{"status":"done"}');
    expect(streamed[0]?.usage.outputTokens).toBeGreaterThan(12);
    expect(streamed[0]?.requestId).toBe(server.requests[3]?.requestId);
    const sent = server.requests[3]?.body;
    expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(server.requests).toHaveLength(6);
  });
});

describe('openai provider: errors', () => {
  it('maps 429 with retry-after to a retryable rate_limit with retryAfterMs, in one request', async () => {
    server.script({
      error: {
        status: 429,
        message: 'Rate limit reached for gpt-4.1',
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '7' },
      },
    });
    const error = await failureOf(compatible().complete(request()));
    expect(error).toMatchObject({
      failure: 'rate_limit',
      retryable: true,
      retryAfterMs: 7000,
      status: 429,
      requestId: server.requests[0]?.requestId,
      provider: 'openai',
    });
    expect(server.requests).toHaveLength(1);
    expect(error.message).toBe('openai: Rate limited (429): Rate limit reached for gpt-4.1.');
  });

  it('does not retry a 429 for exhausted quota', async () => {
    server.script({
      error: { status: 429, message: 'You exceeded your current quota.', type: 'insufficient_quota', code: 'insufficient_quota' },
    });
    expect(await failureOf(compatible().complete(request()))).toMatchObject({ failure: 'rate_limit', retryable: false });
  });

  it('takes the wait from x-ratelimit-reset-requests when there is no retry-after', async () => {
    const headers = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-remaining-tokens': '9000',
      'x-ratelimit-reset-tokens': '20ms',
    };
    server.script({ error: { status: 429, code: 'rate_limit_exceeded', headers } });
    expect((await failureOf(compatible().complete(request()))).retryAfterMs).toBe(1500);
  });

  it('maps an error event inside an HTTP 200 stream to a retryable failure', async () => {
    server.script({
      text: 'partial answer then trouble',
      failMidStream: { message: 'The server had an error while processing your request.' },
    });
    const error = await failureOf(compatible({ stream: true }).complete(request()));
    expect(error).toMatchObject({ failure: 'server', retryable: true });
    expect(error.message).toContain('The server had an error');
  });

  it('parses reset durations', () => {
    expect(parseResetDuration('6m0s')).toBe(360_000);
    expect(parseResetDuration('1.5s')).toBe(1500);
    expect(parseResetDuration('20ms')).toBe(20);
    expect(parseResetDuration('1h2m3s')).toBe(3_723_000);
    expect(parseResetDuration('soon')).toBeUndefined();
    expect(parseResetDuration('5 s')).toBeUndefined();
  });

  it('maps 500 and 503 to retryable server failures, 401 to auth, 400 to invalid_request', async () => {
    server.script(
      { error: { status: 500 } },
      { error: { status: 503, message: 'The engine is currently overloaded' } },
      { error: { status: 401, message: 'Incorrect API key provided', code: 'invalid_api_key' } },
      { error: { status: 400, message: 'Unknown parameter' } },
    );
    const provider = compatible({ name: 'openrouter' });
    expect(await failureOf(provider.complete(request()))).toMatchObject({
      failure: 'server',
      retryable: true,
      status: 500,
      provider: 'openrouter',
    });
    expect(await failureOf(provider.complete(request()))).toMatchObject({ failure: 'overloaded', retryable: true, status: 503 });
    const auth = await failureOf(provider.complete(request()));
    expect(auth).toMatchObject({ failure: 'auth', retryable: false, exitCode: 2 });
    expect(auth.message).toContain('OPENAI_API_KEY');
    expect(await failureOf(provider.complete(request()))).toMatchObject({ failure: 'invalid_request', retryable: false, status: 400 });
    expect(server.requests).toHaveLength(4);
  });

  it('maps a refused connection to a retryable connection failure', async () => {
    const gone = await startOpenAIServer();
    await gone.close();
    const error = await failureOf(createOpenAIProvider({ apiKey: 'sk-test-key-123', baseURL: gone.url }).complete(request()));
    expect(error).toMatchObject({ failure: 'connection', retryable: true });
  });

  it('maps a server slower than the timeout to a retryable timeout, before the headers or mid-stream', async () => {
    server.script({ text: 'too late', delayMs: 30_000 }, { text: 'stalls after the first chunk', chunkDelayMs: 30_000 });
    const timers = captureTimers(TIMEOUT_MS);
    try {
      const early = failureOf(compatible({ timeoutMs: TIMEOUT_MS }).complete(request()));
      await server.waitForRequests(1);
      timers.fireLast(); // the SDK's wait for the headers, armed after the call's deadline
      const error = await early;
      expect(error).toMatchObject({ failure: 'timeout', retryable: true });
      expect(error.message).toBe(TIMEOUT_MESSAGE);

      const watch = watchFetch();
      const late = failureOf(watched(watch, { timeoutMs: TIMEOUT_MS, stream: true }).complete(request()));
      await watch.bodyRead;
      timers.fireLast(); // the call's deadline: the SDK cleared its own with the headers
      const stalled = await late;
      expect(stalled).toMatchObject({ failure: 'timeout', retryable: true });
      expect(stalled.message).toBe(TIMEOUT_MESSAGE);
      // The call's own deadline, not a read error of the stream it cut, is what the error names.
      expect(stalled.cause).toMatchObject({ name: 'TimeoutError' });
    } finally {
      timers.restore();
    }
    expect(server.requests[1]?.eventsSent).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(2);
  });

  it("rethrows the caller's abort reason, before and during a call", async () => {
    const reason = new Error('run interrupted');
    const before = new AbortController();
    before.abort(reason);
    await expect(compatible().complete(request(), before.signal)).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);

    server.script({ text: 'never sent', delayMs: 30_000 }, { text: 'never streamed', delayMs: 30_000 });
    for (const stream of [false, true]) {
      const during = new AbortController();
      const pending = compatible({ stream }).complete(request(), during.signal);
      await server.waitForRequests(stream ? 2 : 1);
      expect(server.requests).toHaveLength(stream ? 2 : 1);
      during.abort(reason);
      await expect(pending).rejects.toBe(reason);
    }
  });

  it('rethrows the abort reason mid-stream instead of returning a partial answer', async () => {
    const reason = new Error('run interrupted');
    server.script({ text: 'A long answer, streamed slowly.', chunkDelayMs: 30_000 });
    const controller = new AbortController();
    const watch = watchFetch();
    const pending = watched(watch, { stream: true }).complete(request(), controller.signal);
    await watch.bodyRead;
    expect(server.requests[0]?.eventsSent).toBeGreaterThan(0);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('openai provider: keys and base URLs', () => {
  it('refuses to start for OpenAI itself without a key', async () => {
    await withEnv({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }, () => {
      let caught: unknown;
      try {
        createOpenAIProvider({});
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ProviderError);
      expect(caught).toMatchObject({ failure: 'missing_key', exitCode: 2 });
      // ProviderError prefixes the provider's name to every message.
      expect((caught as ProviderError).message).toBe('openai: API key is missing. Set OPENAI_API_KEY or pass --provider sim.');
    });
  });

  it('needs no key for a custom base URL and speaks the compatible dialect there', async () => {
    await withEnv({ OPENAI_API_KEY: undefined }, async () => {
      await createOpenAIProvider({ baseURL: server.url, defaultHeaders: { 'x-title': 'agent-team' } }).complete(request());
    });
    const sent = server.requests[0];
    expect(sent?.headers['authorization']).toBe('Bearer not-needed');
    expect(sent?.headers['x-title']).toBe('agent-team');
    expect(sent?.body.max_tokens).toBe(256);
    expect(sent?.body).not.toHaveProperty('max_completion_tokens');
    expect(sent?.body).not.toHaveProperty('prompt_cache_key');
  });

  it('honours OPENAI_BASE_URL from the environment', async () => {
    server.script({ text: 'via env' });
    const response = await withEnv({ OPENAI_BASE_URL: server.url, OPENAI_API_KEY: undefined }, () =>
      createOpenAIProvider({}).complete(request()),
    );
    expect(response.text).toBe('via env');
    expect(server.requests).toHaveLength(1);
  });

  it('sends no prompt_cache_key when the caller opts out of caching', async () => {
    await openai().complete(request({ cacheSystemPrompt: false, temperature: 0.2 }));
    expect(server.requests[0]?.body).not.toHaveProperty('prompt_cache_key');
    expect(server.requests[0]?.body.temperature).toBe(0.2);
  });
});
