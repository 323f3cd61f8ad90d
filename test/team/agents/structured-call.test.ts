import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { InvalidModelOutputError } from '../../../src/errors/index.js';
import { countTokens, type LlmRequest } from '../../../src/providers/index.js';
import { workReportSchema } from '../../../src/team/tasks/answer-schemas.js';
import { Manager } from '../../../src/team/agents/manager.js';
import { ModelCaller } from '../../../src/team/agents/model-caller.js';
import { callStructured } from '../../../src/team/agents/structured-call.js';
import { createScriptedProvider, type ScriptedProvider } from '../../support/scripted-provider.js';
import { answers, createTeamFixture, plannedTask, type TeamFixture } from '../../support/team-fixture.js';

// Loading the tokenizer's ranks takes a second or more: once per file, outside any test's time.
beforeAll(() => {
  countTokens('warm up');
});
// Real files and locks: generous caps for loaded CI machines (the tests take well under a second each).
vi.setConfig({ testTimeout: 15_000 });

let provider: ScriptedProvider;
let fixture: TeamFixture;
let caller: ModelCaller;

const request: LlmRequest = {
  model: 'claude-sonnet-5',
  system: 'You are a backend developer on a test team.',
  messages: [{ role: 'user', content: 'Report on task T1 as JSON.' }],
  maxTokens: 1000,
  metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
};

function callReport(): ReturnType<typeof callStructured<typeof workReportSchema>> {
  return callStructured({ caller, request, schema: workReportSchema, what: 'task report' });
}

beforeEach(async () => {
  provider = createScriptedProvider();
  fixture = await createTeamFixture({ provider });
  caller = new ModelCaller(fixture.context, 'backend-dev');
});

afterEach(async () => {
  await fixture.cleanup();
});

describe('callStructured', () => {
  it('returns the value of a valid first answer after one call', async () => {
    provider.enqueue(answers.done('Built the login endpoint', ['src/login.ts']));
    const { value, text } = await callReport();
    expect(value).toEqual({ status: 'done', summary: 'Built the login endpoint', filesChanged: ['src/login.ts'] });
    expect(text).toBe(answers.done('Built the login endpoint', ['src/login.ts']));
    expect(provider.calls).toHaveLength(1);
    expect(provider.calls[0]?.metadata.repair).toBeUndefined();
    // The JSON Schema of the answer goes with the request, for providers with structured output.
    expect(JSON.stringify(provider.calls[0]?.responseJsonSchema)).toContain('"question"');
    expect(provider.calls[0]?.responseName).toBe('task_report');
    provider.assertComplete();
  });

  it('parses JSON wrapped in a ```json fence', async () => {
    provider.enqueue(`Here is my report:\n\`\`\`json\n${answers.blocked('Which database?')}\n\`\`\`\nThanks.`);
    const { value } = await callReport();
    expect(value).toEqual({ status: 'blocked', question: 'Which database?' });
    expect(provider.calls).toHaveLength(1);
  });

  it('parses a JSON object surrounded by prose', async () => {
    provider.enqueue(`Sure. ${answers.done('Done')} Let me know.`);
    expect((await callReport()).value).toMatchObject({ status: 'done', summary: 'Done' });
  });

  it('repairs an invalid answer once, listing the problems in the last user message', async () => {
    const invalid = JSON.stringify({ status: 'done' });
    provider.enqueue(invalid, answers.done('Fixed'));
    const { value } = await callReport();
    expect(value).toMatchObject({ status: 'done', summary: 'Fixed' });
    expect(provider.calls).toHaveLength(2);
    const repair = provider.calls[1];
    expect(repair?.metadata.repair).toBe(true);
    expect(repair?.metadata.agentId).toBe('backend-dev');
    expect(repair?.messages.slice(0, -2)).toEqual(request.messages);
    expect(repair?.messages.at(-2)).toEqual({ role: 'assistant', content: invalid });
    const last = repair?.messages.at(-1);
    expect(last?.role).toBe('user');
    expect(last?.content).toContain('Your answer was rejected');
    expect(last?.content).toMatch(/^- summary: /m);
    expect(last?.content).toContain('task report');
    provider.assertComplete();
  });

  it('names invalid JSON as such in the repair request', async () => {
    provider.enqueue('{"status": "done", "summary": ', answers.done('Fixed'));
    await callReport();
    expect(provider.calls[1]?.messages.at(-1)?.content).toContain('the answer is not valid JSON');
  });

  it('throws InvalidModelOutputError with the raw second output when the repair is invalid too', async () => {
    provider.enqueue('not json at all', '{"status": "maybe"}');
    const failure = await callReport().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidModelOutputError);
    const error = failure as InvalidModelOutputError;
    expect(error.rawOutput).toBe('{"status": "maybe"}');
    expect(error.agentId).toBe('backend-dev');
    expect(error.problems.length).toBeGreaterThan(0);
    expect(error.problems.join('\n')).toContain('status');
    expect(error.message).toContain('task report');
    expect(provider.calls).toHaveLength(2);
    provider.assertComplete();
  });

  it('applies `check` after the schema and repairs what it finds', async () => {
    const schema = z.object({ count: z.number() });
    provider.enqueue('{"count": 3}', '{"count": 4}');
    const { value } = await callStructured({
      caller,
      request,
      schema,
      what: 'count',
      check: (answer) => (answer.count % 2 === 0 ? [] : [`count: expected an even number, found ${answer.count}`]),
    });
    expect(value).toEqual({ count: 4 });
    expect(provider.calls[1]?.messages.at(-1)?.content).toContain('- count: expected an even number, found 3');
  });

  it("gets a manager's plan with a dependency cycle repaired", async () => {
    const cyclic = answers.plan([
      plannedTask({ id: 'T1', role: 'backend_developer', dependsOn: ['T2'] }),
      plannedTask({ id: 'T2', role: 'frontend_developer', dependsOn: ['T1'] }),
    ]);
    const sound = [
      plannedTask({ id: 'T1', role: 'backend_developer' }),
      plannedTask({ id: 'T2', role: 'frontend_developer', dependsOn: ['T1'] }),
    ];
    provider.enqueueFor({ agentId: 'manager', purpose: 'plan' }, cyclic, answers.plan(sound));
    const plan = await new Manager(fixture.context).plan({ feature: 'Add login' });
    expect(plan.tasks).toEqual(sound);
    expect(provider.calls).toHaveLength(2);
    const repairMessage = provider.calls[1]?.messages.at(-1)?.content ?? '';
    expect(provider.calls[1]?.metadata.repair).toBe(true);
    expect(repairMessage).toContain('the dependencies form a cycle: T1 -> T2 -> T1');
    provider.assertComplete();
  });
});
