/**
 * A tool loop whose answer is a tool: the model must call some tool each turn, and a turn
 * that calls a file tool and the report tool together runs the file tool, then ends with
 * the report. Through the real SDKs over HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createAnthropicProvider,
  createOpenAIProvider,
  type LlmProvider,
  type LlmRequest,
  type ToolCall,
} from '../../../src/providers/index.js';
import { ModelCaller } from '../../../src/team/agents/model-caller.js';
import { runToolLoop } from '../../../src/team/agents/tool-loop.js';
import { ANSWER_NAMES, WORK_ANSWERS, workReportSchema } from '../../../src/team/tasks/answer-schemas.js';
import { workspaceToolSpecs } from '../../../src/workspace/index.js';
import { start as startAnthropic, type AnthropicServer } from '../../support/anthropic-server.js';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.js';
import { createTeamFixture, type TeamFixture } from '../../support/team-fixture.js';

const FILE_TOOLS = workspaceToolSpecs({ allowlist: [], sandbox: 'bwrap' });

function workRequest(model: string): LlmRequest {
  return {
    model,
    system: 'You are the backend developer.',
    messages: [{ role: 'user', content: '# Task T1: Add a greeting helper' }],
    maxTokens: 4000,
    tools: FILE_TOOLS,
    answerSchemas: WORK_ANSWERS,
    responseName: ANSWER_NAMES.workReport,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
  };
}

let anthropic: AnthropicServer | undefined;
let openai: OpenAIServer | undefined;
let fixture: TeamFixture | undefined;
afterEach(async () => {
  await fixture?.cleanup();
  await anthropic?.close();
  await openai?.close();
  fixture = undefined;
  anthropic = undefined;
  openai = undefined;
});

async function loop(
  provider: LlmProvider,
  model: string,
): Promise<{ executed: ToolCall[]; result: Awaited<ReturnType<typeof runToolLoop>> }> {
  fixture = await createTeamFixture({ provider, status: 'running' });
  const executed: ToolCall[] = [];
  const result = await runToolLoop({
    caller: new ModelCaller(fixture.context, 'backend-dev'),
    request: workRequest(model),
    maxSteps: 5,
    execute: async (call) => {
      executed.push(call);
      return { content: 'written', isError: false };
    },
  });
  return { executed, result };
}

const WRITE = { name: 'write_file', input: { path: 'src/greeting.js', content: 'export const hi = 1;\n' } };

describe('a tool loop that answers through its report tool', () => {
  it('anthropic: file tools then the report tool, tool_choice any; a turn calling both runs the file tool and ends with the report', async () => {
    anthropic = await startAnthropic();
    anthropic.script(
      { kind: 'tool_use', ...WRITE },
      {
        kind: 'tool_uses',
        calls: [
          WRITE,
          { name: 'task_report', input: { answer: { status: 'done', summary: 'Wrote the helper.', filesChanged: ['src/greeting.js'] } } },
        ],
      },
    );
    const provider = createAnthropicProvider({ apiKey: 'sk-ant-test-0000000000', baseURL: anthropic.url });
    const { executed, result } = await loop(provider, 'claude-haiku-4-5');
    expect(result.steps).toBe(2);
    expect(executed.map((call) => call.name)).toEqual(['write_file', 'write_file']);
    expect(result.response.toolCalls).toBeUndefined();
    expect(workReportSchema.parse(JSON.parse(result.response.text))).toMatchObject({ status: 'done', summary: 'Wrote the helper.' });
    for (const request of anthropic.requests) {
      expect(request.body.tools?.map((tool) => tool.name)).toEqual([...FILE_TOOLS.map((tool) => tool.name), 'task_report']);
      expect(request.body.tool_choice).toEqual({ type: 'any' });
    }
    anthropic.assertComplete();
  });

  it('openai tools mode: the report is a strict function tool, tool_choice required; its nulls for absent fields are dropped', async () => {
    openai = await startOpenAIServer();
    openai.script(
      { toolCalls: [{ name: WRITE.name, arguments: WRITE.input }] },
      {
        toolCalls: [
          { name: WRITE.name, arguments: WRITE.input },
          { name: 'task_report', arguments: { answer: { status: 'done', summary: 'Wrote the helper.', filesChanged: null, notes: null } } },
        ],
      },
    );
    const provider = createOpenAIProvider({ apiKey: 'sk-test', baseURL: openai.url, structuredOutput: 'tools' });
    const { executed, result } = await loop(provider, 'gpt-4.1-mini');
    expect(result.steps).toBe(2);
    expect(executed).toHaveLength(2);
    expect(JSON.parse(result.response.text)).toEqual({ status: 'done', summary: 'Wrote the helper.' });
    expect(workReportSchema.parse(JSON.parse(result.response.text))).toMatchObject({ filesChanged: [] });
    for (const request of openai.requests) {
      expect(request.body.tool_choice).toBe('required');
      const report = request.body.tools?.at(-1);
      expect(report?.type === 'function' ? report.function : undefined).toMatchObject({ name: 'task_report', strict: true });
    }
  });
});
