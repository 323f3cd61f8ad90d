/**
 * Every case of the malformed-answer corpus through a real provider adapter (the real
 * SDK over HTTP against the local wire servers) and askStructured: a `recovered` case
 * makes one call, a `repaired` case exactly two, a `failed` case exactly two and an
 * InvalidModelOutputError naming the problems.
 *
 * OpenAI-compatible servers without structured output (Ollama, llama.cpp, LM Studio in
 * prompt-only use) get no response_format and answer in text; Anthropic gets the team's
 * request with its forced answer tool, and the model answers in text anyway.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvalidModelOutputError } from '../../src/errors/index.js';
import { logToStream } from '../../src/observability/index.js';
import {
  askStructured,
  createAnthropicProvider,
  createOpenAIProvider,
  jsonSchemaOf,
  type LlmProvider,
  type LlmRequest,
} from '../../src/providers/index.js';
import { start as startAnthropicServer, type AnthropicServer } from '../support/anthropic-server.js';
import { startOpenAIServer, type OpenAIServer } from '../support/openai-server.js';
import { askedFor, type CorpusCase, loadCorpus } from './lenient-corpus.js';

// Lenient reads are logged at info level; the root logger is made when the providers load.
const previousLevel = vi.hoisted(() => {
  const level = process.env['AGENT_TEAM_LOG_LEVEL'];
  process.env['AGENT_TEAM_LOG_LEVEL'] = 'info';
  return level;
});

const corpus = loadCorpus();

interface Wire {
  provider: LlmProvider;
  /** Queues text answers, in order. */
  script(...texts: string[]): void;
  requestCount(): number;
  /** The text of the last user message of request `index`. */
  lastUserText(index: number): string;
  close(): Promise<void>;
}

async function openAIWire(): Promise<Wire> {
  const server: OpenAIServer = await startOpenAIServer();
  return {
    provider: createOpenAIProvider({ baseURL: server.url, apiKey: 'sk-test-key-0000' }),
    script: (...texts) => server.script(...texts.map((text) => ({ text }))),
    requestCount: () => server.requests.length,
    lastUserText: (index) => String(server.requests[index]?.body.messages.at(-1)?.content ?? ''),
    close: () => server.close(),
  };
}

async function anthropicWire(): Promise<Wire> {
  const server: AnthropicServer = await startAnthropicServer({ apiKey: 'sk-ant-test-key' });
  return {
    provider: createAnthropicProvider({ baseURL: server.url, apiKey: 'sk-ant-test-key' }),
    script: (...texts) => server.script(...texts.map((text) => ({ kind: 'text' as const, text }))),
    requestCount: () => server.requests.length,
    lastUserText: (index) => {
      const content = server.requests[index]?.body.messages.at(-1)?.content ?? '';
      return typeof content === 'string' ? content : content.map((block) => block.text ?? '').join('');
    },
    close: () => server.close(),
  };
}

function requestFor(entry: CorpusCase, structured: boolean): { request: LlmRequest; asked: ReturnType<typeof askedFor> } {
  const asked = askedFor(entry.purpose);
  const request: LlmRequest = {
    model: structured ? 'claude-sonnet-5' : 'qwen2.5-coder:7b',
    system: `You are on a software team. Answer with only the JSON object for the ${asked.what}.`,
    messages: [{ role: 'user', content: 'Feature: users sign up and log in with email and password.' }],
    maxTokens: 4000,
    metadata: { agentId: entry.purpose === 'work' ? 'backend-1' : 'manager', role: 'team_manager', purpose: asked.callPurpose },
    ...(structured ? { responseJsonSchema: jsonSchemaOf(asked.schema), responseName: asked.what.replace(/[^a-z0-9]+/gi, '_') } : {}),
  };
  return { request, asked };
}

const logs = new PassThrough();
let logged = '';
logs.on('data', (chunk: Buffer) => {
  logged += chunk.toString('utf8');
});

interface LenientReadLog {
  level: string;
  agentId: string;
  purpose: string;
  what: string;
  recovered: string[];
}

/** Each lenient read logged since the test began. */
function lenientReads(): LenientReadLog[] {
  return logged
    .split('\n')
    .filter((line) => line.includes('answer read leniently'))
    .map((line) => JSON.parse(line) as LenientReadLog);
}

beforeAll(() => {
  logToStream(logs);
});

afterAll(() => {
  if (previousLevel === undefined) delete process.env['AGENT_TEAM_LOG_LEVEL'];
  else process.env['AGENT_TEAM_LOG_LEVEL'] = previousLevel;
});

beforeEach(() => {
  logged = '';
});

describe('the malformed-answer corpus', () => {
  it('holds at least 30 cases, covering every purpose and every outcome', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(new Set(corpus.map((entry) => entry.purpose))).toEqual(new Set(['plan', 'resolve', 'integrate', 'work', 'gate']));
    expect(new Set(corpus.map((entry) => entry.outcome))).toEqual(new Set(['recovered', 'repaired', 'failed']));
  });
});

describe.each([
  { vendor: 'openai (prompt only)', open: openAIWire, structured: false },
  { vendor: 'anthropic (forced tool, answered in text)', open: anthropicWire, structured: true },
])('$vendor: each corpus answer through askStructured', ({ open, structured }) => {
  let wire: Wire;

  beforeAll(async () => {
    wire = await open();
  });

  afterAll(async () => {
    await wire.close();
  });

  it.each(corpus)('$name ($purpose): $outcome', async (entry) => {
    const before = wire.requestCount();
    wire.script(entry.answer, ...(entry.repair === undefined ? [] : [entry.repair]));
    const { request, asked } = requestFor(entry, structured);
    const asking = askStructured({
      request,
      schema: asked.schema,
      check: asked.check as ((value: unknown) => string[]) | undefined,
      what: asked.what,
      call: (sent) => wire.provider.complete(sent),
    });

    if (entry.outcome === 'failed') {
      const error = await asking.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(InvalidModelOutputError);
      const failure = error as InvalidModelOutputError;
      expect(failure.message).toContain(`returned an invalid ${asked.what} twice`);
      for (const problem of entry.error ?? []) expect(failure.message).toContain(problem);
      expect(failure.rawOutput).toBe(entry.repair);
    } else {
      const result = await asking;
      expect(result.value).toMatchObject(entry.value as object);
      expect(result.repaired).toBe(entry.outcome === 'repaired');
    }

    expect(wire.requestCount() - before).toBe(entry.outcome === 'recovered' ? 1 : 2);
    if (entry.outcome === 'recovered') {
      const { agentId, purpose } = request.metadata;
      const expected =
        entry.recovered?.length === 0 ? [] : [{ level: 'info', agentId, purpose, what: asked.what, recovered: entry.recovered }];
      expect(lenientReads()).toEqual(expected.map((log) => expect.objectContaining(log)));
    } else {
      const repairText = wire.lastUserText(before + 1);
      expect(repairText).toMatch(/^Your answer was rejected:\n/);
      for (const problem of entry.problems ?? []) expect(repairText).toContain(problem);
    }
  });
});
