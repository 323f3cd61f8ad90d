import { z } from 'zod';
import { InvalidModelOutputError } from '../../errors/index.js';
import { parseStructured, type LlmRequest } from '../../providers/index.js';
import type { ModelCaller, SettleCall } from './model-caller.js';

// Doubling max_tokens after a truncated answer stops here.
const MAX_OUTPUT_TOKENS = 64_000;

const jsonSchemas = new WeakMap<z.ZodType, Record<string, unknown>>();

/** The JSON Schema sent to providers for structured output, generated once per schema. */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let json = jsonSchemas.get(schema);
  if (json === undefined) {
    json = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
    jsonSchemas.set(schema, json);
  }
  return json;
}

/**
 * Asks for a structured answer and validates it with zod (and `check` for what a
 * schema cannot say). An invalid answer gets one repair request listing the
 * problems; a second invalid answer is an InvalidModelOutputError with the raw output.
 */
export async function callStructured<S extends z.ZodType>(input: {
  caller: ModelCaller;
  request: LlmRequest;
  schema: S;
  what: string;
  check?: (value: z.infer<S>) => string[];
  signal?: AbortSignal | undefined;
  /** Leave the accepted call's settlement to the caller's own update (see ModelCaller.call). */
  deferSettle?: boolean;
}): Promise<{ value: z.infer<S>; text: string; settle?: SettleCall | undefined }> {
  let request: LlmRequest = {
    ...input.request,
    responseJsonSchema: input.request.responseJsonSchema ?? jsonSchemaOf(input.schema),
    responseName: input.request.responseName ?? input.what.replace(/[^a-z0-9]+/gi, '_'),
  };
  const deferSettle = input.deferSettle === true;
  let first = await input.caller.call(request, input.signal, { deferSettle });
  if (first.stopReason === 'max_tokens' && request.maxTokens < MAX_OUTPUT_TOKENS) {
    // A truncated answer cannot be valid: ask once more with room for it.
    if (first.settle !== undefined) await input.caller.settle(first.settle);
    request = { ...request, maxTokens: Math.min(MAX_OUTPUT_TOKENS, request.maxTokens * 2) };
    first = await input.caller.call(request, input.signal, { deferSettle });
  }
  const firstResult = parseStructured(first.text, input.schema, input.check);
  if (firstResult.value !== undefined) return { value: firstResult.value, text: first.text, settle: first.settle };
  // The rejected call is settled now: a repair request follows and may fail.
  if (first.settle !== undefined) await input.caller.settle(first.settle);

  const repair: LlmRequest = {
    ...request,
    messages: [
      ...request.messages,
      { role: 'assistant', content: first.text },
      {
        role: 'user',
        content:
          `Your answer was rejected:\n${firstResult.problems.map((p) => `- ${p}`).join('\n')}\n` +
          `Answer again with only the corrected JSON object for the ${input.what}.`,
      },
    ],
    metadata: { ...request.metadata, repair: true },
  };
  const second = await input.caller.call(repair, input.signal, { deferSettle });
  const secondResult = parseStructured(second.text, input.schema, input.check);
  if (secondResult.value !== undefined) return { value: secondResult.value, text: second.text, settle: second.settle };
  if (second.settle !== undefined) await input.caller.settle(second.settle);
  throw new InvalidModelOutputError({
    agentId: request.metadata.agentId,
    what: input.what,
    rawOutput: second.text,
    problems: secondResult.problems,
  });
}
