/**
 * The answer tools of each vendor mapping: one per purpose, in the same order on every
 * call, the call's own named in tool_choice; strict schemas for OpenAI; only the call's
 * schema in a compatible server's response_format; nothing but text in prompt mode.
 */
import { describe, expect, it } from 'vitest';
import { toAnthropicParams } from '../../src/providers/anthropic-mapping.js';
import { toChatRequest, toOpenAIResponse } from '../../src/providers/openai-mapping.js';
import { PROMPT_ANSWER_HEADING, withAnswerInPrompt } from '../../src/providers/prompt-answer.js';
import { strictJsonSchema, withoutAddedNulls } from '../../src/providers/strict-schema.js';
import { objectSchemaOf } from '../../src/providers/answer-tools.js';
import type { LlmRequest } from '../../src/providers/index.js';
import { ANSWER_NAMES, managerAnswers, planSchema, workReportSchema, WORK_ANSWERS } from '../../src/team/tasks/answer-schemas.js';

const ROLES = ['backend_developer', 'qa_tester'];
const ANSWERS = managerAnswers(ROLES);

function managerRequest(answer: string): LlmRequest {
  return {
    model: 'm',
    system: 'You are the manager.',
    messages: [{ role: 'user', content: `# Request: ${answer}` }],
    maxTokens: 1000,
    answerSchemas: ANSWERS,
    responseName: answer,
    metadata: { agentId: 'manager', role: 'team_manager', purpose: 'plan' },
  };
}

type Schema = Record<string, unknown>;

/** Every object node of a schema, wherever it is. */
function objectNodes(node: unknown, found: Schema[] = []): Schema[] {
  if (Array.isArray(node)) for (const item of node) objectNodes(item, found);
  else if (typeof node === 'object' && node !== null) {
    const schema = node as Schema;
    if (schema['properties'] !== undefined) found.push(schema);
    for (const value of Object.values(schema)) objectNodes(value, found);
  }
  return found;
}

describe('strict schemas (OpenAI)', () => {
  it('makes every property required, the optional ones nullable, every object closed, oneOf anyOf, lengths a pattern', () => {
    const wrapped = objectSchemaOf(WORK_ANSWERS[0]?.schema ?? {}).schema;
    const strict = strictJsonSchema(wrapped) ?? expect.unreachable('the report schema has a strict form');
    const nodes = objectNodes(strict);
    expect(nodes.length).toBeGreaterThanOrEqual(3);
    for (const node of nodes) {
      expect(node['additionalProperties']).toBe(false);
      expect([...(node['required'] as string[])].sort()).toEqual(Object.keys(node['properties'] as Schema).sort());
    }
    const text = JSON.stringify(strict);
    for (const keyword of ['"oneOf"', '"default"', '"minLength"', '"$schema"']) expect(text).not.toContain(keyword);
    const done = ((strict['properties'] as Schema)['answer'] as { anyOf: Schema[] }).anyOf[0] as { properties: Record<string, Schema> };
    expect(done.properties['notes']?.['type']).toEqual(['string', 'null']);
    expect(done.properties['filesChanged']?.['type']).toEqual(['array', 'null']);
    expect(done.properties['summary']?.['pattern']).toBe('^[\\s\\S]{1,}$');
  });

  it('drops the nulls strict mode puts for absent fields, so our validation accepts what it accepted before', () => {
    const original = objectSchemaOf(WORK_ANSWERS[0]?.schema ?? {}).schema;
    const answer = { answer: { status: 'done', summary: 'ok', filesChanged: null, notes: null } };
    const cleaned = withoutAddedNulls(answer, original) as { answer: unknown };
    expect(cleaned).toEqual({ answer: { status: 'done', summary: 'ok' } });
    expect(workReportSchema.parse(cleaned.answer)).toEqual({ status: 'done', summary: 'ok', filesChanged: [] });
    // A plan's optional arrays too, inside an array of objects.
    const plan = ANSWERS[0]?.schema ?? {};
    const task = {
      id: 'T1',
      title: 't',
      description: 'd',
      role: 'qa_tester',
      complexity: 'simple',
      dependsOn: null,
      files: null,
      acceptanceCriteria: null,
    };
    expect(planSchema.parse(withoutAddedNulls({ tasks: [task] }, plan)).tasks[0]?.dependsOn).toEqual([]);
  });

  it('leaves a schema strict mode cannot say as it is (sent non-strict)', () => {
    expect(strictJsonSchema({ type: 'object', properties: {}, additionalProperties: { type: 'string' } })).toBeUndefined();
  });
});

describe('answer tools: the same tools on every call of an agent, its own named in tool_choice', () => {
  it('anthropic: plan, resolution and integration tools in a fixed order; tool_choice names the call’s', () => {
    const calls = [ANSWER_NAMES.plan, ANSWER_NAMES.resolution, ANSWER_NAMES.integration].map(
      (name) => toAnthropicParams(managerRequest(name)).params,
    );
    for (const params of calls) expect(JSON.stringify(params.tools)).toBe(JSON.stringify(calls[0]?.tools));
    expect(calls.map((params) => params.tool_choice)).toEqual([
      { type: 'tool', name: 'plan' },
      { type: 'tool', name: 'blocker_resolution' },
      { type: 'tool', name: 'integration_summary' },
    ]);
    // Roles are an enum of the roster's worker roles.
    expect(JSON.stringify(calls[0]?.tools?.[0])).toContain('"enum":["backend_developer","qa_tester"]');
  });

  it('openai tools mode: identical strict function tools, tool_choice names the function, no response_format', () => {
    const bodies = [ANSWER_NAMES.plan, ANSWER_NAMES.integration].map(
      (name) => toChatRequest({ request: managerRequest(name), dialect: 'openai' }).body,
    );
    expect(JSON.stringify(bodies[0]?.tools)).toBe(JSON.stringify(bodies[1]?.tools));
    expect(bodies[0]?.tools?.map((tool) => (tool.type === 'function' ? [tool.function.name, tool.function.strict] : []))).toEqual([
      ['plan', true],
      ['blocker_resolution', true],
      ['integration_summary', true],
    ]);
    expect(bodies.map((body) => body.tool_choice)).toEqual([
      { type: 'function', function: { name: 'plan' } },
      { type: 'function', function: { name: 'integration_summary' } },
    ]);
    for (const body of bodies) expect(body.response_format).toBeUndefined();
  });

  it('compatible json_schema mode: only the call’s schema, as response_format, and no tools', () => {
    const { body, wrappedAnswer } = toChatRequest({ request: managerRequest(ANSWER_NAMES.resolution), dialect: 'compatible' });
    expect(body.tools).toBeUndefined();
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'blocker_resolution' } });
    // A discriminated union (oneOf) root travels wrapped as {answer: …}.
    expect(wrappedAnswer).toBe(true);
    expect(JSON.stringify(body.response_format)).toContain('"oneOf"');
  });

  it('unwraps only a lone {answer: …}: a server that ignored the wrapper and sent the resolution itself is read as sent', () => {
    const request = managerRequest(ANSWER_NAMES.resolution);
    const { wrappedAnswer } = toChatRequest({ request, dialect: 'compatible' });
    const textOf = (content: string): string =>
      toOpenAIResponse({
        received: { id: 'r', model: 'm', content, refusal: null, toolCalls: [], finishReason: 'stop', usage: undefined },
        request,
        wrappedAnswer,
        provider: 'openai',
        requestId: undefined,
        latencyMs: 0,
      }).text;
    const resolution = { kind: 'answer', answer: 'Use bcrypt' };
    expect(JSON.parse(textOf(JSON.stringify(resolution)))).toEqual(resolution);
    expect(JSON.parse(textOf(JSON.stringify({ answer: resolution })))).toEqual(resolution);
  });
});

describe('prompt mode', () => {
  it('sends no schema as a parameter and closes the last user message with it, leaving the system prompt alone', () => {
    const request = managerRequest(ANSWER_NAMES.integration);
    const prompted = withAnswerInPrompt(request);
    expect(prompted.answerSchemas).toBeUndefined();
    expect(prompted.responseJsonSchema).toBeUndefined();
    expect(prompted.system).toBe(request.system);
    const last = prompted.messages.at(-1);
    expect(last?.role === 'user' ? last.content : '').toMatch(
      new RegExp(`^# Request: integration_summary\\n\\n${PROMPT_ANSWER_HEADING}[\\s\\S]*"summary"`),
    );
    const anthropic = toAnthropicParams(request, 'prompt').params;
    expect(anthropic.tools).toBeUndefined();
    expect(anthropic.tool_choice).toBeUndefined();
    const openai = toChatRequest({ request, dialect: 'compatible', mode: 'prompt' }).body;
    expect(openai.tools).toBeUndefined();
    expect(openai.response_format).toBeUndefined();
  });
});
