/**
 * A workspace run through the real Anthropic and OpenAI SDKs over HTTP: the
 * agents write files with tool calls on the wire (tool_use / tool_result blocks,
 * tool_calls / tool messages), the gates answer through structured output, and
 * the work lands as commits merged into the integration branch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { runTeam } from '../../../src/team/index.js';
import { start as startAnthropic, type AnthropicServer } from '../../support/anthropic-server.js';
import { readEntries } from '../../support/ledger.js';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.js';
import { sampleRepo, type TempRepository } from '../../support/sample-repo.js';
import { answerFor, lastUserText } from '../../support/team-brain.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { shaped } from '../../support/wire-team.js';

const AGENTS_YML = `
tiers: { simple: claude-haiku-4-5, medium: claude-sonnet-5, complex: claude-opus-4-5 }
agents:
  team_manager: { base: base/manager.md, model: claude-sonnet-5, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, provider: openai, model: gpt-4.1, max_tokens: 4000 }
`;

const ROSTER = [
  { id: 'manager', role: 'team_manager', max_concurrent_tasks: 4 },
  { id: 'backend-dev', role: 'backend_developer' },
  { id: 'frontend-dev', role: 'frontend_developer' },
];

let servers: { anthropic: AnthropicServer; openai: OpenAIServer } | undefined;
let repo: TempRepository | undefined;
let project: TempProject | undefined;
afterEach(async () => {
  await Promise.all([servers?.anthropic.close(), servers?.openai.close()]);
  await repo?.cleanup();
  await project?.cleanup();
  delete process.env['TEAM_TEST_ANTHROPIC_KEY'];
  delete process.env['TEAM_TEST_OPENAI_KEY'];
});

/** The first expected file of the task in a work message, and what the agent writes there. */
function fileFor(taskMessage: string): { taskId: string; path: string; content: string } {
  const taskId = /^# Task (\S+):/.exec(taskMessage)?.[1] ?? 'unknown';
  const path = /## Files you are expected to touch\n- (\S+)/.exec(taskMessage)?.[1] ?? `src/${taskId}.js`;
  // T2's first change carries a credential; once the gate's reasons are in the message, it is gone.
  const told = taskMessage.includes('these gates failed it');
  const secret = taskId === 'T2' && !told ? 'const token = "live-0123456789abcdef";\n' : '';
  return { taskId, path, content: `// ${taskId}\n${secret}export const part = ${JSON.stringify(taskId)};\n` };
}

function report(taskMessage: string): unknown {
  const { taskId, path } = fileFor(taskMessage);
  return { status: 'done', summary: `${taskId} wrote ${path}.`, filesChanged: [path] };
}

/** The security gate's verdict: it fails a hard-coded token among the added lines. */
function verdict(message: string): unknown {
  return /^\+.*token = "/m.test(message)
    ? { passed: false, reasons: ['a token is hard-coded in the change'] }
    : { passed: true, reasons: ['nothing to block'] };
}

describe('a workspace run over the real SDKs', () => {
  it('writes files through tool calls on both wires, passes the gates after one rework, and merges every task', async () => {
    const anthropic = await startAnthropic({
      fallback: (recorded) => {
        const body = recorded.body;
        const user = lastUserText(body.messages);
        const forced = body.tools?.find((tool) => tool.name === body.tool_choice?.name);
        if (user.startsWith('# Review task')) {
          // Only the security gate is configured below; its verdict comes through the forced answer tool.
          return { kind: 'structured', input: shaped(forced?.input_schema, verdict(user)) };
        }
        if (body.tools?.some((tool) => tool.name === 'write_file') === true) {
          const results = body.messages.some(
            (message) =>
              Array.isArray(message.content) && (message.content as { type: string }[]).some((block) => block.type === 'tool_result'),
          );
          if (results) return { kind: 'text', text: JSON.stringify(report(user)) };
          const file = fileFor(user);
          return { kind: 'tool_use', name: 'write_file', input: { path: file.path, content: file.content } };
        }
        return { kind: 'structured', input: shaped(forced?.input_schema, answerFor(user, { tasksPerRole: 1 })) };
      },
    });
    const openai = await startOpenAIServer({
      defaultReply: (body) => {
        const messages = body.messages as { role: string; content: unknown }[];
        const user = lastUserText(messages);
        if ((body.tools ?? []).some((tool) => 'function' in tool && tool.function.name === 'write_file')) {
          if (messages.some((message) => message.role === 'tool')) return { text: JSON.stringify(report(user)) };
          const file = fileFor(user);
          return { toolCalls: [{ name: 'write_file', arguments: { path: file.path, content: file.content } }] };
        }
        const format = body.response_format as { json_schema?: { schema?: unknown } } | undefined;
        return { json: shaped(format?.json_schema?.schema, answerFor(user)) };
      },
    });
    servers = { anthropic, openai };
    repo = await sampleRepo();
    project = await tempProject();
    process.env['TEAM_TEST_ANTHROPIC_KEY'] = 'sk-ant-test-0000000000';
    process.env['TEAM_TEST_OPENAI_KEY'] = 'sk-test-openai-000000000000';
    await project.write('.ai-agents/config.yml', AGENTS_YML);
    await project.write(
      'orchestrator-config.json',
      JSON.stringify({
        project_dir: repo.dir,
        agents_file: `${project.dir}/.ai-agents/config.yml`,
        agents: ROSTER,
        coordination: { auto_merge: true },
        provider: { name: 'anthropic' },
        providers: {
          anthropic: { base_url: anthropic.url, api_key_env: 'TEAM_TEST_ANTHROPIC_KEY' },
          openai: { base_url: openai.url, api_key_env: 'TEAM_TEST_OPENAI_KEY' },
        },
        workspace: { test_command: ['node', '--test'], gates: [{ name: 'security' }] },
      }),
    );
    const config = loadTeamConfig({ cwd: project.dir });
    const result = await runTeam({ config, feature: 'Add user authentication', workspace: repo.dir });
    expect(result.status).toBe('done');
    expect(result.summary.simulated).toBe(false);

    // Tool calls went over both wires, and their results came back.
    const anthropicToolUse = anthropic.requests.filter((request) =>
      request.body.messages.some(
        (message) =>
          Array.isArray(message.content) && (message.content as { type: string }[]).some((block) => block.type === 'tool_result'),
      ),
    );
    const openaiToolTurns = openai.requests.filter((request) =>
      (request.body.messages as { role: string }[]).some((message) => message.role === 'tool'),
    );
    expect(anthropicToolUse.length).toBeGreaterThan(0);
    expect(openaiToolTurns.length).toBeGreaterThan(0);

    const ledger = await readEntries(result.files.ledger);
    const verdicts = ledger.filter((entry) => entry.type === 'gate-verdict');
    expect(verdicts.filter((entry) => entry['passed'] === false).map((entry) => entry['taskId'])).toEqual(['T2']);
    const merges = ledger.filter((entry) => entry.type === 'task-merge');
    expect(merges.every((entry) => entry['status'] === 'merged')).toBe(true);
    expect(merges).toHaveLength(result.summary.tasks.total);
    // What the agents wrote through their tools is on the integration branch, without the token.
    const integration = `agent-team/${result.runId}/integration`;
    const tree = await repo.git('ls-tree', '-r', '--name-only', integration);
    expect(tree).toContain('docs/api.md');
    const t2Path = /## Files you are expected to touch\n- (\S+)/.exec(
      lastUserText(anthropic.requests.find((request) => lastUserText(request.body.messages).startsWith('# Task T2:'))?.body.messages ?? []),
    )?.[1];
    expect(t2Path).toBe('src/backend_developer-1.ts');
    const merged = await repo.git('show', `${integration}:${t2Path ?? ''}`);
    expect(merged).toContain('export const part = "T2"');
    expect(merged).not.toContain('token');
    // Every call was priced from the usage the servers reported.
    const calls = ledger.filter((entry) => entry.type === 'model-call');
    expect(calls).toHaveLength(anthropic.requests.length + openai.requests.length);
    expect(result.summary.costUsd).toBeGreaterThan(0);
  });
});
