import { z } from 'zod';
import { InvalidModelOutputError } from '../errors/index.js';
import { getLogger } from '../observability/index.js';
import { maxOutputTokensOf } from './output-limits.js';
import { parseStructured } from './structured-output.js';
import type { LlmRequest, Message, StopReason } from './types.js';

/** What one call of a structured ask must give back; callers may return more (usage, a settlement). */
export interface StructuredAnswer {
  text: string;
  stopReason: StopReason;
  /** The whole conversation the answer ends, when one call ran several turns (a tool loop); else the request's messages. */
  messages?: Message[];
}

/** How the repair request words its demand. */
export interface RepairWording {
  /** What was rejected: "answer" by default. */
  rejected?: string;
  /** What to send again: "the corrected JSON object for the <what>" by default. */
  expected?: string;
}

/** What a structured ask returns: the value, the answer it came from, and every answer made on the way. */
export interface StructuredResult<T, A extends StructuredAnswer> {
  value: T;
  answer: A;
  /** Every answer in order, the accepted one last (usage sums, simulated flags). */
  answers: A[];
  /** True when a repair request gave the accepted answer. */
  repaired: boolean;
}

// How far a truncated answer's output room grows when neither the caller nor the model's known limit says.
const DEFAULT_MAX_OUTPUT_TOKENS = 64_000;

const log = getLogger('providers.structured');

/**
 * The request to ask again after an answer stopped at `max_tokens`: twice the output
 * room, up to the caller's cap and the model's known limit; undefined when there is no
 * more room to give. It goes on from the conversation the truncated answer ended (a
 * tool loop's turns kept), without that answer.
 */
export function moreRoomRequest(input: {
  request: LlmRequest;
  answer: StructuredAnswer;
  maxOutputTokens?: number | undefined;
}): LlmRequest | undefined {
  const { request } = input;
  const cap = Math.min(input.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, maxOutputTokensOf(request.model) ?? Number.POSITIVE_INFINITY);
  const maxTokens = Math.min(cap, request.maxTokens * 2);
  if (maxTokens <= request.maxTokens) return undefined;
  return {
    ...request,
    messages: input.answer.messages ?? request.messages,
    maxTokens,
    metadata: { ...request.metadata, raisedFromMaxTokens: request.maxTokens },
  };
}

const jsonSchemas = new WeakMap<z.ZodType, Record<string, unknown>>();

/** The JSON Schema sent to providers for structured output, generated once per schema. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let json = jsonSchemas.get(schema);
  if (json === undefined) {
    json = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
    jsonSchemas.set(schema, json);
  }
  return json;
}

// People see their server's habits (fences, prose, wrappers) without a repair call costing them anything.
function logRecovery(input: { request: LlmRequest; what: string; recovered: readonly string[] }): void {
  if (input.recovered.length === 0) return;
  const { agentId, purpose, taskId, repair } = input.request.metadata;
  log.info(`answer read leniently: ${input.recovered.join('; ')}`, {
    agentId,
    purpose,
    taskId,
    what: input.what,
    model: input.request.model,
    repair,
    recovered: input.recovered,
  });
}

function repairRequest(input: {
  request: LlmRequest;
  answer: StructuredAnswer;
  problems: readonly string[];
  what: string;
  wording: RepairWording | undefined;
}): LlmRequest {
  const rejected = input.wording?.rejected ?? 'answer';
  const expected = input.wording?.expected ?? `the corrected JSON object for the ${input.what}`;
  return {
    ...input.request,
    messages: [
      ...(input.answer.messages ?? input.request.messages),
      { role: 'assistant', content: input.answer.text },
      {
        role: 'user',
        content: `Your ${rejected} was rejected:\n${input.problems.map((problem) => `- ${problem}`).join('\n')}\nAnswer again with only ${expected}.`,
      },
    ],
    metadata: { ...input.request.metadata, repair: true },
  };
}

/**
 * The one structured-output path: asks through `call` (a provider call, a budgeted
 * call, a tool loop), validates the answer with zod and `check` (for what a schema
 * cannot say). A truncated answer is asked again once with twice the output room, up
 * to `maxOutputTokens` (default 64000) and the model's known output limit, and the
 * call says so (log, `metadata.raisedFromMaxTokens`); an invalid answer gets one repair
 * request listing the problems; a second invalid answer is an InvalidModelOutputError
 * carrying the raw output. Every answer not returned goes to `discard` before the
 * next call (a budgeted caller settles its spend there). A repair request carries
 * `metadata.repair: true`.
 */
export async function askStructured<S extends z.ZodType, A extends StructuredAnswer>(input: {
  request: LlmRequest;
  schema: S;
  /** What the answer is, for the repair request and the error: "task report". */
  what: string;
  check?: ((value: z.infer<S>) => string[]) | undefined;
  call: (request: LlmRequest) => Promise<A>;
  discard?: ((answer: A) => Promise<void>) | undefined;
  maxOutputTokens?: number | undefined;
  wording?: RepairWording | undefined;
}): Promise<StructuredResult<z.infer<S>, A>> {
  const answers: A[] = [];
  const ask = async (request: LlmRequest): Promise<A> => {
    const answer = await input.call(request);
    answers.push(answer);
    return answer;
  };
  let request = input.request;
  let first = await ask(request);
  const roomier =
    first.stopReason === 'max_tokens' ? moreRoomRequest({ request, answer: first, maxOutputTokens: input.maxOutputTokens }) : undefined;
  if (roomier !== undefined) {
    // A truncated answer cannot be valid: ask once more with room for it.
    await input.discard?.(first);
    const { agentId, purpose, taskId } = request.metadata;
    log.warn('answer stopped at max_tokens: asking again with more room', {
      agentId,
      purpose,
      taskId,
      model: request.model,
      fromMaxTokens: request.maxTokens,
      toMaxTokens: roomier.maxTokens,
    });
    request = roomier;
    first = await ask(request);
  }
  const firstResult = parseStructured(first.text, input.schema, input.check);
  if ('recovered' in firstResult) {
    logRecovery({ request, what: input.what, recovered: firstResult.recovered });
    return { value: firstResult.value, answer: first, answers, repaired: false };
  }
  // The rejected answer is done with now: a repair request follows and may fail.
  await input.discard?.(first);

  const repair = repairRequest({ request, answer: first, problems: firstResult.problems, what: input.what, wording: input.wording });
  const second = await ask(repair);
  const secondResult = parseStructured(second.text, input.schema, input.check);
  if ('recovered' in secondResult) {
    logRecovery({ request: repair, what: input.what, recovered: secondResult.recovered });
    return { value: secondResult.value, answer: second, answers, repaired: true };
  }
  await input.discard?.(second);
  throw new InvalidModelOutputError({
    agentId: request.metadata.agentId,
    what: input.what,
    rawOutput: second.text,
    problems: secondResult.problems,
  });
}
