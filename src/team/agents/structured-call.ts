import type { z } from 'zod';
import { askStructured, jsonSchemaOf, type LlmRequest } from '../../providers/index.js';
import type { ModelCaller, SettleCall } from './model-caller.js';

/**
 * Asks for a structured answer within the budget (see `askStructured`): the JSON
 * Schema goes with the request (and is the agent's one answer unless the request
 * names its answers), every call goes through the agent's ModelCaller, and each
 * answer that is not returned is settled before the next call.
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
  const { caller } = input;
  const deferSettle = input.deferSettle === true;
  const responseJsonSchema = input.request.responseJsonSchema ?? jsonSchemaOf(input.schema);
  const responseName = input.request.responseName ?? input.what.replace(/[^a-z0-9]+/gi, '_');
  const { value, answer } = await askStructured({
    request: {
      ...input.request,
      responseJsonSchema,
      responseName,
      answerSchemas: input.request.answerSchemas ?? [{ name: responseName, schema: responseJsonSchema }],
    },
    schema: input.schema,
    what: input.what,
    check: input.check,
    call: (request) => caller.call(request, input.signal, { deferSettle }),
    discard: async (rejected) => {
      if (rejected.settle !== undefined) await caller.settle(rejected.settle);
    },
  });
  return { value, text: answer.text, settle: answer.settle };
}
