/**
 * An OpenAI-compatible server whose tokenizer counts more input than ours: a local HTTP
 * proxy in front of the OpenAI wire server that multiplies the `prompt_tokens` (and
 * cached tokens) of every JSON answer by `inputScale`, as a local model's tokenizer might.
 * Streams pass through untouched.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The running proxy. */
export interface InflatingProxy {
  /** Base URL for the SDK (same path as the upstream's). */
  readonly url: string;
  close(): Promise<void>;
}

interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function inflate(usage: WireUsage, scale: number): WireUsage {
  const prompt = Math.floor(usage.prompt_tokens * scale);
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return {
    ...usage,
    prompt_tokens: prompt,
    total_tokens: prompt + usage.completion_tokens,
    ...(cached === undefined
      ? {}
      : { prompt_tokens_details: { ...usage.prompt_tokens_details, cached_tokens: Math.floor(cached * scale) } }),
  };
}

/** Starts a proxy to `upstream` (an OpenAI wire server's base URL, ending in /v1) on a free local port. */
export async function startInflatingProxy(input: { upstream: string; inputScale: number }): Promise<InflatingProxy> {
  const upstream = new URL(input.upstream);
  const server = createServer((request, response) => {
    (async () => {
      const body = await readBody(request);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
      }
      const answer = await fetch(new URL(request.url ?? '/', upstream.origin), {
        method: request.method ?? 'GET',
        headers,
        ...(body.length === 0 ? {} : { body }),
      });
      const type = answer.headers.get('content-type') ?? '';
      let text = await answer.text();
      if (type.includes('application/json')) {
        const parsed = JSON.parse(text) as { usage?: WireUsage | null };
        if (parsed.usage != null) text = JSON.stringify({ ...parsed, usage: inflate(parsed.usage, input.inputScale) });
      }
      const passed: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding') passed[name] = value;
      });
      response.writeHead(answer.status, passed);
      response.end(text);
    })().catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`inflating proxy: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))));
    },
  };
}
