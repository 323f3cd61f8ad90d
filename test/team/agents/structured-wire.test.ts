import { afterEach, describe, expect, it } from 'vitest';
import { InvalidModelOutputError } from '../../../src/errors/index.js';
import { createAnthropicProvider, createOpenAIProvider, type LlmProvider, type LlmRequest } from '../../../src/providers/index.js';
import { workReportSchema } from '../../../src/team/tasks/answer-schemas.js';
import { ModelCaller } from '../../../src/team/agents/model-caller.js';
import { callStructured } from '../../../src/team/agents/structured-call.js';
import { start as startAnthropic, type AnthropicServer } from '../../support/anthropic-server.js';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.js';
import { createTeamFixture, type TeamFixture } from '../../support/team-fixture.js';

const DONE = { status: 'done', summary: 'Implemented T1.', filesChanged: ['src/t1.ts'] };
let fixture: TeamFixture | undefined;
let server: AnthropicServer | OpenAIServer | undefined;

afterEach(async () => {
  await fixture?.cleanup();
  await server?.close();
  fixture = undefined;
  server = undefined;
});

function request(model: string): LlmRequest {
  return {
    model,
    system: 'You are the backend developer of a test team.',
    messages: [{ role: 'user', content: '# Task T1: Implement it\nAnswer with one JSON object.' }],
    maxTokens: 2000,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
  };
}

async function call(provider: LlmProvider, model: string): Promise<unknown> {
  fixture = await createTeamFixture({ provider, status: 'running' });
  const caller = new ModelCaller(fixture.context, 'backend-dev');
  return (await callStructured({ caller, request: request(model), schema: workReportSchema, what: 'task report' })).value;
}

describe.each([
  {
    name: 'anthropic',
    model: 'claude-sonnet-5',
    setup: async (replies: unknown[]): Promise<LlmProvider> => {
      const anthropic = await startAnthropic();
      server = anthropic;
      // A structured answer arrives as the input of the forced tool; the work report is a union, so it is wrapped.
      anthropic.script(
        ...replies.map((input) => ({ kind: 'structured' as const, input: typeof input === 'string' ? input : { answer: input } })),
      );
      return createAnthropicProvider({ baseURL: anthropic.url, apiKey: 'sk-ant-test-key-0000' });
    },
  },
  {
    name: 'openai',
    model: 'gpt-4.1',
    setup: async (replies: unknown[]): Promise<LlmProvider> => {
      const openai = await startOpenAIServer();
      server = openai;
      openai.script(...replies.map((reply) => (typeof reply === 'string' ? { text: reply } : { json: { answer: reply } })));
      return createOpenAIProvider({ baseURL: openai.url, apiKey: 'sk-test-key-0000' });
    },
  },
])('structured output through $name and its SDK', ({ model, setup }) => {
  it('repairs a malformed answer once', async () => {
    const provider = await setup(['{"status": "done", "summ', DONE]);
    expect(await call(provider, model)).toEqual({ ...DONE });
    const ledger = (await fixture?.store.read())?.agents['backend-dev'];
    expect(ledger?.calls).toBe(2);
  });

  it('fails after a second malformed answer, keeping the raw output', async () => {
    const provider = await setup(['not json', { status: 'finished' }]);
    const failure = await call(provider, model).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InvalidModelOutputError);
    expect((failure as InvalidModelOutputError).rawOutput).toContain('finished');
  });
});
