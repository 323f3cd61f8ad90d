/**
 * The Anthropic adapter's `countInputTokens` over the real SDK and HTTP: it asks
 * `POST /v1/messages/count_tokens` with exactly the input `complete` sends, and maps
 * failures like every other call. Counting passes through the retry and throttle wrappers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/errors/index.js';
import { createAnthropicProvider, type LlmRequest, withRetries, withThrottle } from '../../src/providers/index.js';
import { start, type AnthropicServer } from '../support/anthropic-server.js';

const KEY = 'sk-ant-test-key';

let server: AnthropicServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function request(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are the backend developer.',
    messages: [
      { role: 'user', content: 'Read the routes file.' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'toolu_1', name: 'read_file', input: { path: 'src/routes.ts' } }] },
      { role: 'tool', toolCallId: 'toolu_1', toolName: 'read_file', content: 'export const routes = [];' },
    ],
    tools: [{ name: 'read_file', description: 'Reads a file.', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } }],
    toolChoice: 'auto',
    maxTokens: 2000,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
    ...overrides,
  };
}

/** A structured plan request without tools of its own: its answer is asked for as the plan. */
function planRequest(): LlmRequest {
  return request({
    messages: [{ role: 'user', content: 'Plan the feature.' }],
    tools: undefined,
    toolChoice: undefined,
    responseJsonSchema: { type: 'object', properties: { tasks: { type: 'array', items: { type: 'string' } } }, required: ['tasks'] },
    responseName: 'plan',
  });
}

describe('Anthropic countInputTokens', () => {
  beforeEach(async () => {
    server = await start({ apiKey: KEY, inputScale: 2 });
  });

  it("counts exactly the input complete sends (tools, system, messages, tool_choice), and the count bounds the call's usage", async () => {
    if (server === undefined) throw new Error('no server');
    const provider = createAnthropicProvider({ apiKey: KEY, baseURL: server.url });
    const counted = await provider.countInputTokens?.(request());
    server.script({ kind: 'text', text: 'done' });
    const response = await provider.complete(request());

    expect(server.countRequests).toHaveLength(1);
    const [count] = server.countRequests;
    const [call] = server.requests;
    if (count === undefined || call === undefined) throw new Error('a request is missing');
    expect(counted).toBe(count.inputTokens);
    const { max_tokens: _maxTokens, ...input } = call.body;
    expect(count.body).toEqual(input);
    expect(count.body.tools).toHaveLength(1);
    const { usage } = response;
    expect(usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens).toBeLessThanOrEqual(counted ?? 0);
    expect(count.inputTokens).toBeGreaterThan(0);
  });

  it("counts a structured call's forced answer tool as complete sends it", async () => {
    if (server === undefined) throw new Error('no server');
    const provider = createAnthropicProvider({ apiKey: KEY, baseURL: server.url });
    const structured = planRequest();
    await provider.countInputTokens?.(structured);
    server.script({ kind: 'structured', input: { tasks: ['T1'] } });
    await provider.complete(structured);
    const { max_tokens: _maxTokens, ...input } = server.requests[0]?.body ?? { max_tokens: 0 };
    expect(server.countRequests[0]?.body).toEqual(input);
    expect(server.countRequests[0]?.body.tool_choice).toEqual({ type: 'tool', name: 'plan' });
  });

  it('counts a prompt-mode call as complete sends it: the schema in the last user message, no answer tool', async () => {
    if (server === undefined) throw new Error('no server');
    const provider = createAnthropicProvider({ apiKey: KEY, baseURL: server.url, structuredOutput: 'prompt' });
    const structured = planRequest();
    await provider.countInputTokens?.(structured);
    server.script({ kind: 'text', text: '{"tasks": ["T1"]}' });
    await provider.complete(structured);
    const { max_tokens: _maxTokens, ...input } = server.requests[0]?.body ?? { max_tokens: 0 };
    expect(server.countRequests[0]?.body).toEqual(input);
    expect(server.countRequests[0]?.body.tools).toBeUndefined();
  });

  it('passes through the retry and throttle wrappers, which leave counting alone', async () => {
    if (server === undefined) throw new Error('no server');
    const wrapped = withRetries(withThrottle(createAnthropicProvider({ apiKey: KEY, baseURL: server.url }), { maxConcurrent: 1 }));
    expect(await wrapped.countInputTokens?.(request())).toBe(server.countRequests[0]?.inputTokens);
    expect(server.requests).toHaveLength(0);
  });
});

describe('Anthropic countInputTokens failures', () => {
  it('maps a server without the route to a ProviderError, like any call', async () => {
    server = await start({ apiKey: KEY, countTokens: false });
    const provider = createAnthropicProvider({ apiKey: KEY, baseURL: server.url });
    const failure = await provider.countInputTokens?.(request()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).status).toBe(404);
    expect(String(failure)).not.toContain(KEY);
  });

  it('rejects with the abort reason when cancelled', async () => {
    server = await start({ apiKey: KEY });
    const provider = createAnthropicProvider({ apiKey: KEY, baseURL: server.url });
    const abort = new AbortController();
    const reason = new Error('cancelled');
    abort.abort(reason);
    await expect(provider.countInputTokens?.(request(), abort.signal)).rejects.toBe(reason);
    expect(server.countRequests).toHaveLength(0);
  });
});
