/**
 * Structured answers for servers with neither a response format nor tool calling: the
 * schema goes at the end of the last user message (never into the system prompt, which
 * is the cached prefix), with the instruction to answer with one JSON object, and the
 * answer is read from the text (see structured-output.ts).
 */
import { answerSetOf } from './answer-tools.js';
import type { LlmRequest } from './types.js';

/** The heading of the answer instruction added to the last user message. */
export const PROMPT_ANSWER_HEADING = '## Answer format';

/** The instruction that asks for one JSON value following `schema`. */
export function answerInstruction(schema: Record<string, unknown>): string {
  const { $schema: _dialect, ...sent } = schema;
  return (
    `${PROMPT_ANSWER_HEADING}\nAnswer with only one JSON object that follows this JSON Schema: ` +
    `no text before or after it, no code fence.\n${JSON.stringify(sent)}`
  );
}

/**
 * The request in prompt mode: no answer schemas or response format travel as parameters;
 * this call's schema is appended to its last user message. Tools of its own (a tool loop)
 * stay; the loop's answer is then the model's final text.
 */
export function withAnswerInPrompt(request: LlmRequest): LlmRequest {
  const { chosen } = answerSetOf(request);
  const { responseJsonSchema: _schema, responseName: _name, answerSchemas: _answers, ...rest } = request;
  const ownTools = (request.tools ?? []).length > 0;
  const stripped: LlmRequest = ownTools ? rest : (({ toolChoice: _choice, ...withoutChoice }) => withoutChoice)(rest);
  if (chosen === undefined) return stripped;
  const index = request.messages.findLastIndex((message) => message.role === 'user');
  if (index < 0) return { ...stripped, messages: [...request.messages, { role: 'user', content: answerInstruction(chosen.schema) }] };
  const messages = request.messages.map((message, at) =>
    at === index && message.role === 'user'
      ? { ...message, content: `${message.content}\n\n${answerInstruction(chosen.schema)}` }
      : message,
  );
  return { ...stripped, messages };
}
