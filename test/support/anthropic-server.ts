/**
 * A local HTTP server speaking enough of the Anthropic Messages API for the real SDK
 * (after vercel/ai `createTestServer`): JSON and SSE answers, error bodies and headers,
 * `request-id`, and prompt caching with the API's accounting. Answers come from a queue
 * of scripted replies, then from a fallback; every request is recorded.
 *
 * Token counts are a deterministic estimate, not a tokenizer: each text piece (a tool's
 * name + description + JSON schema, a system block, a message block) counts
 * ceil(characters / 4) tokens, and the pieces add up. Tests can size prompts to exact counts.
 * Every cache write counts as a 5-minute write, and cached prefixes never expire.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  errorJson,
  failingSseFrames,
  messageJson,
  sseFrames,
  type ModelTurn,
  type WireContentBlock,
  type WireRefusalDetails,
} from './anthropic-sse.js';

/** A content block of a request, loosely typed: the server reads only what it counts. */
export interface WireRequestBlock {
  type: string;
  text?: string;
  name?: string;
  input?: unknown;
  content?: string | { type: string; text?: string }[];
  cache_control?: { type: string; ttl?: string };
  [key: string]: unknown;
}

/** A `POST /v1/messages` body as the server parsed it. */
export interface WireRequest {
  model: string;
  max_tokens: number;
  stream?: boolean;
  system?: string | WireRequestBlock[];
  messages: { role: string; content: string | WireRequestBlock[] }[];
  tools?: { name: string; description?: string; input_schema: Record<string, unknown>; cache_control?: { type: string } }[];
  tool_choice?: { type: string; name?: string };
  [key: string]: unknown;
}

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: WireRequest;
  /** The usage the server answered with, once it answered. */
  usage?: { input_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number; output_tokens: number };
}

interface ReplyTiming {
  /** Wait this long before answering (the connection may be dropped meanwhile). */
  delayMs?: number;
}

/** What the fake API does with one request. */
export type ScriptedReply = ReplyTiming &
  (
    | {
        kind: 'text';
        text: string;
        stopReason?: 'end_turn' | 'stop_sequence' | 'max_tokens' | 'pause_turn';
        outputTokens?: number;
        /** Thinking tokens, added to output_tokens and reported apart in output_tokens_details. */
        thinkingTokens?: number;
      }
    | { kind: 'tool_use'; name: string; input: unknown; text?: string; outputTokens?: number }
    /** Several tool calls in one turn (e.g. a file tool and the answer tool). */
    | { kind: 'tool_uses'; calls: { name: string; input: unknown }[]; text?: string; outputTokens?: number }
    /** A tool_use of the request's forced tool with this input (valid for its schema or not). */
    | { kind: 'structured'; input: unknown; outputTokens?: number }
    | { kind: 'refusal'; text?: string; category?: WireRefusalDetails['category']; explanation?: string }
    | { kind: 'http_error'; status: number; errorType: string; message: string; headers?: Record<string, string> }
    /** HTTP 200 and a stream that breaks with an `error` event (non-streaming requests get the equivalent status). */
    | { kind: 'stream_error'; errorType: string; message: string; text?: string }
    /** HTTP 200, half of the answer, then the socket is destroyed (a dropped connection). */
    | { kind: 'connection_drop'; text: string }
    /** HTTP 200, half of the answer, then silence with the connection left open. */
    | { kind: 'stall'; text: string }
  );

/** Options of the fake API. */
export interface AnthropicServerOptions {
  /** The smallest cacheable prefix, in estimated tokens (the API's minimum is 1024–4096 by model). */
  minCacheTokens?: number;
  /** When set, requests must carry this key (x-api-key or Authorization: Bearer), else 401. */
  apiKey?: string;
  /** Answers requests when the script is empty; default a short text answer. */
  fallback?: (request: RecordedRequest) => ScriptedReply;
  /**
   * A tokenizer that counts this many times more input (default 1): usage and the
   * count_tokens answer both scale, each usage part rounded down so usage never exceeds the count.
   */
  inputScale?: number;
  /** Set false to answer `POST /v1/messages/count_tokens` with 404, like a server without it. */
  countTokens?: boolean;
}

/** The running fake API. */
export interface AnthropicServer {
  /** Base URL for the SDK's `baseURL`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: readonly RecordedRequest[];
  /** Every `count_tokens` request (kept apart from `requests`), with the count answered. */
  readonly countRequests: readonly { body: WireRequest; inputTokens: number }[];
  /** Queues replies for the next requests, in order. */
  script(...replies: ScriptedReply[]): void;
  /** Resolves once `count` requests have arrived (no polling sleeps in tests). */
  waitForRequests(count: number): Promise<void>;
  /** Throws if scripted replies are left over or a reply could not be applied. */
  assertComplete(): void;
  close(): Promise<void>;
}

/** The fake API's token estimate for one text piece. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

// The API version the installed SDK sends dropped sampling parameters; it rejects them.
const SAMPLING_PARAMETERS = ['temperature', 'top_p', 'top_k'];
const STATUS_OF_STREAM_ERROR: Readonly<Record<string, number>> = { overloaded_error: 529, api_error: 500, rate_limit_error: 429 };

interface Piece {
  readonly key: string;
  readonly tokens: number;
  readonly breakpoint: boolean;
}

function blockText(block: WireRequestBlock): string {
  if (block.type === 'tool_use') return `${block.name ?? ''}${JSON.stringify(block.input)}`;
  if (block.type === 'tool_result') {
    return typeof block.content === 'string' ? block.content : (block.content ?? []).map((part) => part.text ?? '').join('');
  }
  return block.text ?? '';
}

// Prefix order is tools → system → messages, as the API builds its cache prefix; tool_choice
// is not part of it, so a call that names another answer tool still reads tools and system.
function piecesOf(body: WireRequest): Piece[] {
  const piece = (key: string, text: string, cacheControl: unknown): Piece => ({
    key: `${key}\u0000${text}`,
    tokens: estimateTokens(text),
    breakpoint: cacheControl != null,
  });
  const pieces: Piece[] = (body.tools ?? []).map((tool) =>
    piece('tool', `${tool.name}${tool.description ?? ''}${JSON.stringify(tool.input_schema)}`, tool.cache_control),
  );
  const system = typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : (body.system ?? []);
  for (const block of system) pieces.push(piece('system', blockText(block), block.cache_control));
  for (const message of body.messages) {
    const blocks: WireRequestBlock[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    for (const block of blocks) pieces.push(piece(`${message.role}:${block.type}`, blockText(block), block.cache_control));
  }
  return pieces;
}

function problemOf(body: WireRequest, headers: IncomingHttpHeaders): string | undefined {
  if (typeof body.model !== 'string' || typeof body.max_tokens !== 'number' || !Array.isArray(body.messages))
    return 'model, max_tokens and messages are required';
  const version = String(headers['anthropic-version'] ?? '');
  const sampling = SAMPLING_PARAMETERS.find((name) => name in body);
  if (sampling !== undefined && version >= '2026-10-21') return `${sampling}: Extra inputs are not permitted`;
  const tools = body.tools ?? [];
  const badTool = tools.findIndex((tool) => tool.input_schema?.['type'] !== 'object');
  if (badTool >= 0) return `tools.${badTool}.custom.input_schema.type: Input should be 'object'`;
  const choice = body.tool_choice;
  if (choice?.type === 'tool' && !tools.some((tool) => tool.name === choice.name))
    return `tool_choice: tool "${choice.name}" is not in tools`;
  if (Array.isArray(body.system) && body.system.some((block) => block.text === '')) return 'system: text content blocks must be non-empty';
  return undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    request.on('error', reject);
  });
}

// Resolves false when the client went away first (SDK timeout or caller abort).
function waitUnlessClosed(ms: number, response: ServerResponse): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!response.destroyed);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off('close', onClose);
      resolve(!response.destroyed);
    }, ms);
    response.once('close', onClose);
  });
}

/** Starts the fake Messages API on a free local port. */
export async function start(options: AnthropicServerOptions = {}): Promise<AnthropicServer> {
  const minCacheTokens = options.minCacheTokens ?? 1024;
  const fallback = options.fallback ?? ((): ScriptedReply => ({ kind: 'text', text: 'ok' }));
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  const problems: string[] = [];
  const cachedPrefixes = new Set<string>();
  const inputScale = options.inputScale ?? 1;
  const countRequests: { body: WireRequest; inputTokens: number }[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let sequence = 0;

  function usageOf(body: WireRequest): { input: number; cacheRead: number; cacheWrite: number } {
    const pieces = piecesOf(body);
    let hash = createHash('sha256').update(body.model).digest('hex');
    let total = 0;
    const eligible: { key: string; tokens: number }[] = [];
    for (const piece of pieces) {
      hash = createHash('sha256').update(hash).update(piece.key).digest('hex');
      total += piece.tokens;
      // A breakpoint below the minimum caches nothing, without an error, as the API does.
      if (piece.breakpoint && total >= minCacheTokens) eligible.push({ key: hash, tokens: total });
    }
    // Read the longest prefix already cached; write the rest up to the last breakpoint.
    const cacheRead = eligible.filter((prefix) => cachedPrefixes.has(prefix.key)).at(-1)?.tokens ?? 0;
    const cacheWrite = (eligible.at(-1)?.tokens ?? 0) - cacheRead;
    for (const prefix of eligible) cachedPrefixes.add(prefix.key);
    return { input: total - cacheRead - cacheWrite, cacheRead, cacheWrite };
  }

  function scaled(usage: { input: number; cacheRead: number; cacheWrite: number }): typeof usage {
    const part = (tokens: number): number => Math.floor(tokens * inputScale);
    return { input: part(usage.input), cacheRead: part(usage.cacheRead), cacheWrite: part(usage.cacheWrite) };
  }

  // count_tokens: the whole input, cached or not, as the API counts it; nothing is cached by counting.
  function countOf(body: WireRequest): number {
    return Math.floor(piecesOf(body).reduce((sum, piece) => sum + piece.tokens, 0) * inputScale);
  }

  function turnFor({ reply, body, id }: { reply: ScriptedReply; body: WireRequest; id: number }): ModelTurn | undefined {
    const content: WireContentBlock[] = [];
    let stopReason: ModelTurn['stopReason'] = 'end_turn';
    let stopDetails: WireRefusalDetails | null = null;
    const toolId = `toolu_fake_${id}`;
    if (reply.kind === 'text' || reply.kind === 'stream_error' || reply.kind === 'connection_drop' || reply.kind === 'stall') {
      content.push({ type: 'text', text: reply.text ?? 'partial answer before the failure' });
      if (reply.kind === 'text') stopReason = reply.stopReason ?? 'end_turn';
    } else if (reply.kind === 'tool_use') {
      if (reply.text !== undefined) content.push({ type: 'text', text: reply.text });
      content.push({ type: 'tool_use', id: toolId, name: reply.name, input: reply.input });
      stopReason = 'tool_use';
    } else if (reply.kind === 'tool_uses') {
      if (reply.text !== undefined) content.push({ type: 'text', text: reply.text });
      for (const [index, call] of reply.calls.entries()) {
        content.push({ type: 'tool_use', id: `${toolId}_${index}`, name: call.name, input: call.input });
      }
      stopReason = 'tool_use';
    } else if (reply.kind === 'structured') {
      const name = body.tool_choice?.type === 'tool' ? body.tool_choice.name : undefined;
      if (name === undefined) {
        problems.push(`request ${id}: a structured reply needs a forced tool (tool_choice {type:'tool'})`);
        return undefined;
      }
      content.push({ type: 'tool_use', id: toolId, name, input: reply.input });
      stopReason = 'tool_use';
    } else if (reply.kind === 'refusal') {
      if (reply.text !== undefined) content.push({ type: 'text', text: reply.text });
      stopReason = 'refusal';
      stopDetails = { type: 'refusal', category: reply.category ?? null, explanation: reply.explanation ?? null };
    } else {
      return undefined;
    }
    const produced = content.map((block) => (block.type === 'text' ? block.text : JSON.stringify(block.input))).join('');
    const scripted = 'outputTokens' in reply ? reply.outputTokens : undefined;
    const thinking = 'thinkingTokens' in reply ? reply.thinkingTokens : undefined;
    const output = (scripted ?? (stopReason === 'max_tokens' ? body.max_tokens : Math.max(1, estimateTokens(produced)))) + (thinking ?? 0);
    const { input, cacheRead, cacheWrite } = scaled(usageOf(body));
    const usage = {
      input_tokens: input,
      cache_creation_input_tokens: cacheWrite,
      cache_read_input_tokens: cacheRead,
      output_tokens: output,
      ...(thinking === undefined ? {} : { output_tokens_details: { thinking_tokens: thinking } }),
    };
    return { id: `msg_fake_${id}`, model: body.model, content, stopReason, stopDetails, usage };
  }

  function sendError(
    response: ServerResponse,
    input: { status: number; errorType: string; message: string; requestId: string; headers?: Record<string, string> },
  ): void {
    response.writeHead(input.status, { 'content-type': 'application/json', 'request-id': input.requestId, ...input.headers });
    response.end(JSON.stringify(errorJson(input)));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const id = ++sequence;
    const requestId = `req_fake_${String(id).padStart(4, '0')}`;
    const text = await readBody(request);
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    let body: WireRequest;
    try {
      body = JSON.parse(text) as WireRequest;
    } catch {
      sendError(response, { status: 400, errorType: 'invalid_request_error', message: 'The request body is not valid JSON', requestId });
      return;
    }
    if (request.method === 'POST' && path === '/v1/messages/count_tokens' && options.countTokens !== false) {
      const inputTokens = countOf(body);
      countRequests.push({ body, inputTokens });
      response.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
      response.end(JSON.stringify({ input_tokens: inputTokens }));
      return;
    }
    const recorded: RecordedRequest = { method: request.method ?? '', path, headers: request.headers, body };
    requests.push(recorded);
    for (const waiter of waiters.filter((candidate) => requests.length >= candidate.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }

    if (request.method !== 'POST' || path !== '/v1/messages') {
      sendError(response, { status: 404, errorType: 'not_found_error', message: `Not found: ${request.method} ${path}`, requestId });
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const key = request.headers['x-api-key'] ?? bearer;
    if (key === undefined || (options.apiKey !== undefined && key !== options.apiKey)) {
      sendError(response, { status: 401, errorType: 'authentication_error', message: 'invalid x-api-key', requestId });
      return;
    }
    const reply = queue.shift() ?? fallback(recorded);
    if (!(await waitUnlessClosed(reply.delayMs ?? 0, response))) return;
    const problem = problemOf(body, request.headers);
    if (problem !== undefined) {
      sendError(response, { status: 400, errorType: 'invalid_request_error', message: problem, requestId });
      return;
    }
    if (reply.kind === 'http_error') {
      sendError(response, { ...reply, requestId });
      return;
    }
    if (reply.kind === 'stream_error' && body.stream !== true) {
      sendError(response, {
        status: STATUS_OF_STREAM_ERROR[reply.errorType] ?? 500,
        errorType: reply.errorType,
        message: reply.message,
        requestId,
      });
      return;
    }
    const turn = turnFor({ reply, body, id });
    if (turn === undefined) {
      sendError(response, { status: 500, errorType: 'api_error', message: `fake server: ${problems.at(-1) ?? 'no answer'}`, requestId });
      return;
    }
    recorded.usage = turn.usage;
    const streamed = body.stream === true;
    response.writeHead(200, {
      'content-type': streamed ? 'text/event-stream' : 'application/json',
      'cache-control': 'no-cache',
      'request-id': requestId,
    });
    const failing =
      reply.kind === 'stream_error' ? failingSseFrames({ turn, errorType: reply.errorType, message: reply.message }) : undefined;
    const parts = streamed ? (failing ?? sseFrames(turn)) : [JSON.stringify(messageJson(turn))];
    if (reply.kind === 'connection_drop' || reply.kind === 'stall') {
      // Half of the frames (or of the JSON), flushed; then the socket goes away or stays silent.
      const cut = streamed
        ? parts.slice(0, Math.ceil(parts.length / 2))
        : [parts[0]?.slice(0, Math.ceil((parts[0]?.length ?? 0) / 2)) ?? ''];
      response.write(cut.join(''), () => (reply.kind === 'stall' ? undefined : response.destroy()));
      return;
    }
    // One write per frame, so the client parses events across chunk boundaries.
    for (const part of parts) response.write(part);
    response.end();
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      problems.push(`handler failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    countRequests,
    script(...replies) {
      queue.push(...replies);
    },
    waitForRequests(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    assertComplete() {
      const left = queue.length === 0 ? [] : [`${queue.length} scripted replies were never used`];
      const all = [...problems, ...left];
      if (all.length > 0) throw new Error(`Fake Anthropic API:\n${all.map((line) => `  - ${line}`).join('\n')}`);
    },
    async close() {
      // Held-open requests (delays) would keep close() waiting; drop them.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))));
    },
  };
}
