/**
 * A local HTTP server speaking OpenAI's Chat Completions closely enough for the real
 * SDK (after vercel/ai `createTestServer`): JSON and SSE answers, usage with automatic
 * prompt caching and reasoning tokens, HTTP errors with OpenAI's headers, delays.
 * Answers come from a script (a queue, then a default) and every request is recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import {
  MIN_CACHED_PREFIX_TOKENS,
  cachedTokensFor,
  completionBody,
  prefixOf,
  promptTokensOf,
  streamEvents,
  usageOf,
  type ModelOutput,
  type ScriptedToolCall,
} from './openai-wire.js';

export { estimateTokens, type ScriptedToolCall } from './openai-wire.js';

/** Options every answer may carry. */
export interface AnswerOptions {
  /** Overrides the natural finish reason, e.g. 'length' or 'content_filter'. */
  finishReason?: ModelOutput['finishReason'];
  /** Hidden reasoning tokens, added to `completion_tokens`. */
  reasoningTokens?: number;
  /** Send no usage at all, like some local servers. */
  omitUsage?: boolean;
  /** Wait this long before the response headers (for timeouts and aborts). */
  delayMs?: number;
  /** When streaming, wait this long between chunks (for aborts mid-stream). */
  chunkDelayMs?: number;
  /** When streaming, send two chunks and then an error event, as OpenAI does after HTTP 200. */
  failMidStream?: { message: string; type?: string; code?: string };
}

/** An HTTP error with OpenAI's body `{error: {message, type, param, code}}`. */
export interface ScriptedHttpError {
  status: number;
  message?: string;
  type?: string;
  code?: string | null;
  headers?: Record<string, string>;
}

/**
 * One scripted answer: text (any string, so also invalid JSON), tool calls, a JSON value
 * as content, a refusal, or an HTTP error.
 */
export type OpenAIServerReply =
  | ({ text: string } & AnswerOptions)
  | ({ toolCalls: ScriptedToolCall[]; text?: string } & AnswerOptions)
  | ({ json: unknown } & AnswerOptions)
  | ({ refusal: string } & AnswerOptions)
  | { error: ScriptedHttpError; delayMs?: number };

/** A request as the server received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: ChatCompletionCreateParams;
  /** The `x-request-id` the server answered with. */
  requestId: string;
  /** SSE events written so far (0 for JSON answers). */
  eventsSent: number;
  /** The usage the server answered with, when it sent one. */
  usage?: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens?: number } } | undefined;
  /** The model the server named in its answer. */
  model?: string | undefined;
}

/** The running fake server. */
export interface OpenAIServer {
  /** The base URL to give the SDK; ends in `/v1`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Queues answers; once the queue is empty the default answer is used. */
  script(...replies: OpenAIServerReply[]): void;
  /** Scripted answers not used yet. */
  remaining(): number;
  /** Resolves once `count` requests have arrived (no polling sleeps in tests). */
  waitForRequests(count: number): Promise<void>;
  /** Stops the server, cutting open connections. */
  close(): Promise<void>;
}

/** Options of the fake server. */
export interface OpenAIServerOptions {
  /** Answer when the script is empty, fixed or computed from the request; default `{ text: 'ok' }`. */
  defaultReply?: OpenAIServerReply | ((body: ChatCompletionCreateParams) => OpenAIServerReply);
  /** The model the server names in answers; default: the requested id plus a snapshot date, as OpenAI does. */
  servedModel?: (requested: string) => string;
}

function toolCallsOf(calls: readonly ScriptedToolCall[]): ModelOutput['toolCalls'] {
  return calls.map((call, index) => ({
    id: call.id ?? `call_${String(index + 1).padStart(3, '0')}`,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
}

function outputOf(reply: Exclude<OpenAIServerReply, { error: ScriptedHttpError }>): ModelOutput {
  if ('toolCalls' in reply) {
    return {
      content: reply.text ?? null,
      refusal: null,
      toolCalls: toolCallsOf(reply.toolCalls),
      finishReason: reply.finishReason ?? 'tool_calls',
    };
  }
  if ('refusal' in reply) return { content: null, refusal: reply.refusal, toolCalls: [], finishReason: reply.finishReason ?? 'stop' };
  const content = 'json' in reply ? JSON.stringify(reply.json) : reply.text;
  return { content, refusal: null, toolCalls: [], finishReason: reply.finishReason ?? 'stop' };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

// Resolves after `ms`, or as soon as the client goes away (a timeout or an abort).
function waitUnlessClosed(response: ServerResponse, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    response.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** Starts a fake OpenAI server on a free local port. */
export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const queue: OpenAIServerReply[] = [];
  const requests: RecordedRequest[] = [];
  const seenPrefixes = new Set<string>();
  const servedModel = options.servedModel ?? ((requested: string) => `${requested}-2025-04-14`);
  const waiters: { count: number; resolve: () => void }[] = [];
  let counter = 0;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    counter += 1;
    const requestId = `req_${String(counter).padStart(6, '0')}`;
    const headers = { 'x-request-id': requestId, 'openai-processing-ms': '12' };
    const text = await readBody(request);
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      sendJson(
        response,
        404,
        { error: { message: `Unknown route ${request.method} ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } },
        headers,
      );
      return;
    }
    const body = JSON.parse(text) as ChatCompletionCreateParams;
    const recorded: RecordedRequest = { method: request.method, path, headers: { ...request.headers }, body, requestId, eventsSent: 0 };
    requests.push(recorded);
    for (const waiter of waiters.filter((candidate) => requests.length >= candidate.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const fallback = options.defaultReply;
    const reply = queue.shift() ?? (typeof fallback === 'function' ? fallback(body) : fallback) ?? { text: 'ok' };
    await waitUnlessClosed(response, reply.delayMs ?? 0);
    if (response.destroyed) return;

    if ('error' in reply) {
      const { status, message, type, code, headers: extra } = reply.error;
      const error = {
        message: message ?? `Scripted error ${status}`,
        type: type ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
        param: null,
        code: code ?? null,
      };
      sendJson(response, status, { error }, { ...headers, ...extra });
      return;
    }

    const output = outputOf(reply);
    const prefix = prefixOf(body);
    const cachedTokens = cachedTokensFor(prefix.tokens, seenPrefixes.has(prefix.key));
    if (prefix.tokens >= MIN_CACHED_PREFIX_TOKENS) seenPrefixes.add(prefix.key);
    const usage =
      reply.omitUsage === true
        ? undefined
        : usageOf({ promptTokens: promptTokensOf(body), cachedTokens, output, reasoningTokens: reply.reasoningTokens ?? 0 });
    const id = `chatcmpl-${requestId}`;
    const model = servedModel(body.model);
    recorded.usage = usage;
    recorded.model = model;
    if (body.stream !== true) {
      sendJson(response, 200, completionBody({ id, model, output, usage }), headers);
      return;
    }
    const includeUsage = body.stream_options?.include_usage === true;
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
    const failure = 'failMidStream' in reply ? reply.failMidStream : undefined;
    const events = streamEvents({ id, model, output, usage, includeUsage });
    if (failure !== undefined) {
      events.splice(
        2,
        events.length,
        `data: ${JSON.stringify({ error: { message: failure.message, type: failure.type ?? 'server_error', param: null, code: failure.code ?? null } })}\n\n`,
      );
    }
    for (const event of events) {
      if (recorded.eventsSent > 0) await waitUnlessClosed(response, 'chunkDelayMs' in reply ? (reply.chunkDelayMs ?? 0) : 0);
      if (response.destroyed) return;
      response.write(event);
      recorded.eventsSent += 1;
    }
    response.end();
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { error: { message: String(error), type: 'server_error', param: null, code: null } }, {});
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script(...replies: OpenAIServerReply[]): void {
      queue.push(...replies);
    },
    remaining: () => queue.length,
    waitForRequests(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
