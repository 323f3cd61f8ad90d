/**
 * Record and replay: `withRecording` writes every answer of a provider to a JSONL
 * cassette; `createReplayProvider` answers the same requests from it, with the same
 * usage, model and latency, so a run can be repeated without a model or its cost.
 */
import { createHash } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError, ProviderError, type ConfigIssue } from '../errors/index.js';
import { readInputFileSync, safeParseJsonLine } from '../files/index.js';
import { redact } from '../observability/index.js';
import type { LlmProvider, LlmRequest, LlmResponse } from './types.js';

/** Version of the cassette line format; replay refuses other versions. */
export const CASSETTE_VERSION = 1;

const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
  reasoningTokens: z.number().int().nonnegative().optional(),
});

const responseSchema = z.object({
  text: z.string(),
  usage: usageSchema,
  model: z.string(),
  stopReason: z.enum(['end', 'max_tokens', 'refusal', 'tool_use', 'other']),
  latencyMs: z.number().nonnegative(),
  simulated: z.boolean(),
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), input: z.unknown() })).optional(),
  answered: z.boolean().optional(),
  requestId: z.string().optional(),
});

/** One recorded call, one JSON line of a cassette. */
export const cassetteLineSchema = z.object({
  version: z.literal(CASSETTE_VERSION),
  provider: z.string().min(1),
  key: z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest'),
  agentId: z.string(),
  purpose: z.string(),
  taskId: z.string().nullable(),
  repair: z.boolean(),
  // Kept for people reading the cassette; replay matches on `key` only.
  request: z.record(z.string(), z.unknown()),
  response: responseSchema,
});

/** One recorded call. */
export type CassetteLine = z.infer<typeof cassetteLineSchema>;

/** JSON with object keys sorted at every depth, so equal values always give equal text. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}

/** The key a request is recorded and replayed under: a sha256 of what decides its answer. */
export function cassetteKey(request: LlmRequest): string {
  const { metadata } = request;
  const identity = {
    model: request.model,
    system: request.system,
    messages: request.messages,
    maxTokens: request.maxTokens,
    tools: request.tools ?? null,
    toolChoice: request.toolChoice ?? null,
    responseJsonSchema: request.responseJsonSchema ?? null,
    // The answers offered (and the one asked for) are part of what decides the answer; absent, keys stay as they were.
    ...(request.answerSchemas === undefined
      ? {}
      : { answers: request.answerSchemas.map((answer) => answer.name), responseName: request.responseName ?? null }),
    agentId: metadata.agentId,
    purpose: metadata.purpose,
    taskId: metadata.taskId ?? null,
    repair: metadata.repair === true,
  };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

function describeCall(input: { agentId: string; purpose: string; taskId: string | null | undefined; repair: boolean }): string {
  const task = input.taskId === null || input.taskId === undefined ? 'no task' : `task "${input.taskId}"`;
  return `agent "${input.agentId}", purpose "${input.purpose}", ${task}${input.repair ? ' (repair)' : ''}`;
}

/** Wraps a provider so each successful call is appended to `file` as one redacted JSON line. */
export function withRecording(provider: LlmProvider, options: { file: string }): LlmProvider {
  // One append at a time, in the order calls finish: holding a fast call's answer back
  // until slower, earlier calls end would change the timing of the run being recorded.
  let writing: Promise<void> = Promise.resolve();

  return {
    name: provider.name,
    simulated: provider.simulated,
    // Counting is not a model call: it passes by untouched.
    ...(provider.countInputTokens === undefined ? {} : { countInputTokens: provider.countInputTokens.bind(provider) }),
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
      const response = await provider.complete(request, signal);
      const { context: _context, ...metadata } = request.metadata;
      const line: CassetteLine = {
        version: CASSETTE_VERSION,
        provider: provider.name,
        // From the unredacted request: replay computes it from the same live request.
        key: cassetteKey(request),
        agentId: metadata.agentId,
        purpose: metadata.purpose,
        taskId: metadata.taskId ?? null,
        repair: metadata.repair === true,
        // The context is the sim's input, large and already in the state file.
        request: { ...request, metadata },
        response,
      };
      const write = writing.then(() => appendFile(options.file, `${JSON.stringify(redact(line))}\n`, 'utf8'));
      writing = write.catch(() => undefined);
      await write;
      return response;
    },
  };
}

function readCassette(file: string): CassetteLine[] {
  const text = readInputFileSync({
    file,
    what: 'the cassette',
    notFound: 'cassette not found',
    hint: 'Record a run first (a provider wrapped with recording writes one), then replay it.',
  });
  const lines: CassetteLine[] = [];
  const issues: ConfigIssue[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    const line = index + 1;
    const parsed = safeParseJsonLine({ text: raw, file, line, schema: cassetteLineSchema });
    if (parsed.ok) lines.push(parsed.value);
    else if (parsed.error.syntax === undefined) for (const issue of parsed.error.issues) issues.push({ ...issue, line });
    else
      issues.push({
        path: '',
        line,
        column: parsed.error.syntax.column,
        message: `expected one JSON object, found a syntax error: ${parsed.error.syntax.detail}`,
      });
  });
  if (issues.length === 0 && lines.length === 0) issues.push({ path: '', message: 'expected recorded calls, found an empty cassette' });
  if (issues.length > 0) {
    // A truncated last line is what an interrupted recording leaves behind.
    throw new ConfigError({ file, issues, hint: 'Record the run again, or remove the broken lines if the rest is what you need.' });
  }
  return lines;
}

/** A loaded cassette: one replay provider per recorded provider name, all answering from one shared set of recordings. */
export interface ReplayCassette {
  /**
   * The replay provider standing in for `name`, named as the recording named it; with
   * `exactly`, named `name` whatever the recording says.
   */
  provider(name: string, options?: { exactly?: boolean }): LlmProvider;
  /** Provider names the cassette recorded, in order of first appearance. */
  readonly providers: readonly string[];
}

/**
 * Loads a cassette for replay. Each provider a run uses gets its own replay provider
 * carrying that provider's name, so a run mixing providers replays with each call
 * reported under the provider that answered it when recorded. Requests are matched
 * by key across the whole cassette, in recorded order.
 */
export function loadReplayCassette(options: { file: string }): ReplayCassette {
  const { file } = options;
  const lines = readCassette(file);
  const byKey = new Map<string, CassetteLine[]>();
  for (const line of lines) byKey.set(line.key, [...(byKey.get(line.key) ?? []), line]);
  const providers = [...new Set(lines.map((line) => line.provider))];
  const views = new Map<string, LlmProvider>();

  function view(name: string): LlmProvider {
    const own = lines.filter((line) => line.provider === name);
    // A run's own lines decide whether its answers were simulated; a name the cassette never recorded takes the whole cassette's.
    const answered = own.length > 0 ? own : lines;
    return {
      name,
      // Report the recorded run's nature: a cassette of sim answers is still a simulation.
      simulated: answered.every((line) => line.response.simulated),
      async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
        signal?.throwIfAborted();
        const key = cassetteKey(request);
        const line = byKey.get(key)?.shift();
        if (line === undefined) {
          const { agentId, purpose, taskId } = request.metadata;
          const recorded = lines.filter((candidate) => candidate.key === key).length;
          const why = recorded === 0 ? 'has no recording of this request' : `has only ${recorded} recording(s) of this request, all used`;
          throw new ProviderError({
            provider: name,
            failure: 'cassette_miss',
            message:
              `cassette ${file} ${why} (${describeCall({ agentId, purpose, taskId, repair: request.metadata.repair === true })}, key ${key.slice(0, 12)}). ` +
              'The prompts, model or settings changed since it was recorded: record the run again.',
          });
        }
        // A copy: callers may mutate what they get, and the cassette stays as loaded.
        return structuredClone(line.response) as LlmResponse;
      },
    };
  }

  return {
    providers,
    provider(name, viewOptions) {
      // A cassette of one provider answers under that name whatever stands in for it (a test's scripted provider, say).
      const keep = viewOptions?.exactly === true || providers.includes(name) || providers.length !== 1;
      const recordedName = keep ? name : (providers[0] ?? name);
      const known = views.get(recordedName);
      if (known !== undefined) return known;
      const created = view(recordedName);
      views.set(recordedName, created);
      return created;
    },
  };
}

/** A provider answering from a cassette: recorded responses per request key, in recorded order. */
export function createReplayProvider(options: { file: string; name?: string }): LlmProvider {
  const cassette = loadReplayCassette({ file: options.file });
  return options.name === undefined
    ? cassette.provider(cassette.providers[0] ?? 'replay')
    : cassette.provider(options.name, { exactly: true });
}
