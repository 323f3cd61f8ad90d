/**
 * The answers a request offers the model, shared by the vendor mappings: every answer
 * the agent may give (in its fixed order), the one this call must give, and the
 * wrapping of a schema whose root is not an object (tool input must be one).
 */
import type { AnswerSchema, LlmRequest } from './types.js';

const DEFAULT_RESPONSE_NAME = 'respond';
/** The key a non-object answer travels under, `{answer: …}`. */
export const WRAPPED_KEY = 'answer';

/** An answer as sent: its tool name, its object schema, and whether the answer is wrapped. */
export interface AnswerTool {
  readonly name: string;
  readonly description: string;
  /** An object schema: the answer's own, or `{answer: <schema>}`. */
  readonly inputSchema: Record<string, unknown>;
  readonly wrapped: boolean;
}

/** A name every vendor accepts for a tool or a response format. */
export function answerNameOf(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || DEFAULT_RESPONSE_NAME;
}

/**
 * The answers of a request in their fixed order, and the one this call must give:
 * `answerSchemas` when given (a `responseJsonSchema` named otherwise is added last),
 * else the single `responseJsonSchema`. Empty when the call asks for no structure.
 */
export function answerSetOf(request: LlmRequest): { answers: AnswerSchema[]; chosen: AnswerSchema | undefined } {
  const answers = (request.answerSchemas ?? []).map((answer) => ({ ...answer, name: answerNameOf(answer.name) }));
  const wanted = request.responseName === undefined ? undefined : answerNameOf(request.responseName);
  let chosen = answers.find((answer) => answer.name === wanted);
  if (chosen === undefined && request.responseJsonSchema !== undefined) {
    chosen = { name: wanted ?? DEFAULT_RESPONSE_NAME, schema: request.responseJsonSchema };
    answers.push(chosen);
  }
  if (chosen === undefined && answers.length === 1) chosen = answers[0];
  return { answers, chosen };
}

/**
 * An answer as an object schema: a root that is not `type: 'object'` (a zod union gives
 * a bare `oneOf`) goes under one required `answer` property. `$defs` stay at the root,
 * where `$ref`s point; `$schema` is dropped (the vendors fix the dialect).
 */
export function objectSchemaOf(schema: Record<string, unknown>): { schema: Record<string, unknown>; wrapped: boolean } {
  // The same answer schemas go with every call of an agent: each is shaped once.
  let shaped = objectSchemas.get(schema);
  if (shaped === undefined) {
    shaped = shapeAsObject(schema);
    objectSchemas.set(schema, shaped);
  }
  return shaped;
}

const objectSchemas = new WeakMap<Record<string, unknown>, { schema: Record<string, unknown>; wrapped: boolean }>();

function shapeAsObject(schema: Record<string, unknown>): { schema: Record<string, unknown>; wrapped: boolean } {
  const { $schema: _dialect, ...withoutDialect } = schema;
  if (withoutDialect['type'] === 'object') return { schema: withoutDialect, wrapped: false };
  const { $defs, definitions, ...inner } = withoutDialect;
  return {
    schema: {
      type: 'object',
      properties: { [WRAPPED_KEY]: inner },
      required: [WRAPPED_KEY],
      additionalProperties: false,
      ...($defs === undefined ? {} : { $defs }),
      ...(definitions === undefined ? {} : { definitions }),
    },
    wrapped: true,
  };
}

/** Each answer as a tool, in the same order. */
export function answerToolsOf(answers: readonly AnswerSchema[]): AnswerTool[] {
  return answers.map((answer) => {
    const { schema, wrapped } = objectSchemaOf(answer.schema);
    return {
      name: answer.name,
      description: answer.description ?? `Give your ${answer.name.replace(/_/g, ' ')} by calling this tool: its input is your answer.`,
      inputSchema: schema,
      wrapped,
    };
  });
}

/** The answer inside a tool's input: unwrapped from `{answer: …}` when it was wrapped. */
export function unwrapAnswer(input: unknown, wrapped: boolean): unknown {
  return wrapped && isWrapper(input) ? input.answer : input;
}

/**
 * True for `{answer: …}` with no other key: the wrapper of a non-object answer. An object
 * with more keys is the answer itself, even when one of them is `answer`.
 */
export function isWrapper(value: unknown): value is { answer: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && WRAPPED_KEY in value;
}
