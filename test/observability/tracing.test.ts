/**
 * Traces of a sim run, as an OTLP/HTTP collector receives them: the orchestrator's spans, the
 * GenAI spans of every agent's work, model call and tool, their parents, and token attributes
 * equal to the ledger's model calls. The SDK is registered in this test process (in-process runs).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../src/config/index.js';
import { ProviderError } from '../../src/errors/index.js';
import { startTracing, stopTracing } from '../../src/observability/index.js';
import { runTeam } from '../../src/team/index.js';
import { type Entry, readEntries } from '../support/ledger.js';
import { createScriptedProvider } from '../support/scripted-provider.js';
import { sampleRepo, type TempRepository } from '../support/sample-repo.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';
import { orchestrateBody, useServices, waitForStatus } from '../server/service-fixture.js';
import { writeWorkspaceConfig } from '../support/workspace-config.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.js';

// The workspace run uses real git repositories and worktrees: slow on a loaded machine; the bound only catches a hang.
useProcessesTimeout();

const FEATURE = 'Add user authentication with email and password';
const CLIENT = 3;
const startService = useServices();

let receiver: OtlpReceiver;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = receiver.url;
});

afterEach(async () => {
  await stopTracing();
  receiver.spans.length = 0;
  receiver.bodies.length = 0;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

afterAll(async () => {
  delete process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  await receiver.close();
});

/** The spans by id, and a span's parent. */
function tree(spans: readonly ReceivedSpan[]): { parentOf: (span: ReceivedSpan) => ReceivedSpan | undefined } {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  return { parentOf: (span) => (span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId)) };
}

/** One model call as the ledger and as its span say it: agent, model and every token count. */
function callKey(input: { agent: unknown; model: unknown; input: unknown; output: unknown; read: unknown; write: unknown }): string {
  return JSON.stringify([input.agent, input.model, input.input, input.output, input.read, input.write]);
}

function ledgerCalls(ledger: readonly Entry[]): string[] {
  return ledger
    .filter((entry) => entry.type === 'model-call')
    .map((entry) => {
      const usage = entry['usage'] as { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
      return callKey({
        agent: entry['agentId'],
        model: entry['model'],
        // The conventions' input tokens include cache reads and writes; the ledger's exclude them.
        input: usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
        output: usage.outputTokens,
        read: usage.cacheReadTokens,
        write: usage.cacheWriteTokens,
      });
    })
    .sort();
}

function spanCalls(spans: readonly ReceivedSpan[]): string[] {
  return spans
    .filter((span) => span.name.startsWith('chat '))
    .map(({ attributes }) =>
      callKey({
        agent: attributes['gen_ai.agent.id'],
        model: attributes['gen_ai.response.model'],
        input: attributes['gen_ai.usage.input_tokens'],
        output: attributes['gen_ai.usage.output_tokens'],
        read: attributes['gen_ai.usage.cache_read.input_tokens'],
        write: attributes['gen_ai.usage.cache_creation.input_tokens'],
      }),
    )
    .sort();
}

describe('traces of a sim run', () => {
  it('has the orchestrator and GenAI spans in one trace, each model call under its agent, with the ledger’s tokens and cost', async () => {
    const project: TempProject = await tempProject('agent-team-traces-');
    cleanups.push(() => project.cleanup());
    expect(await startTracing()).toBe(true);
    const result = await runTeam({ config: loadTeamConfig({ cwd: project.dir }), feature: FEATURE, seed: 1, timeScale: 0 });
    await stopTracing();
    expect(result.status).toBe('done');
    const ledger = await readEntries(result.files.ledger);
    const { spans } = receiver;
    const { parentOf } = tree(spans);
    const named = (name: string): ReceivedSpan[] => spans.filter((span) => span.name === name);

    // One run, one trace, one root.
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    const [root, ...otherRoots] = spans.filter((span) => span.parentSpanId === undefined);
    expect(otherRoots).toEqual([]);
    expect(root?.name).toBe('orchestrator.run');
    expect(root?.attributes).toMatchObject({ 'agent_team.run.status': 'done', 'agent_team.provider': 'sim' });
    expect(root?.resource['service.name']).toBe('agent-team');
    for (const name of ['orchestrator.plan', 'orchestrator.dispatch']) {
      expect(named(name).map((span) => parentOf(span)?.name)).toEqual(['orchestrator.run']);
    }
    expect(named('orchestrator.aggregate').map((span) => parentOf(span)?.name)).toEqual(['orchestrator.dispatch']);

    // The manager plans under orchestrator.plan and writes the summary under orchestrator.aggregate.
    const managerSpans = named('invoke_agent manager');
    expect(managerSpans.filter((span) => parentOf(span)?.name === 'orchestrator.plan')).toHaveLength(1);
    expect(managerSpans.filter((span) => parentOf(span)?.name === 'orchestrator.aggregate')).toHaveLength(1);

    // Every model call is a CLIENT span under the invoke_agent span of the agent that made it.
    const chats = spans.filter((span) => span.name.startsWith('chat '));
    expect(chats.length).toBe(ledger.filter((entry) => entry.type === 'model-call').length);
    for (const chat of chats) {
      const agent = parentOf(chat);
      expect(chat.kind).toBe(CLIENT);
      expect(chat.name).toBe(`chat ${String(chat.attributes['gen_ai.request.model'])}`);
      expect(agent?.name).toBe(`invoke_agent ${String(chat.attributes['gen_ai.agent.id'])}`);
      expect(chat.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'sim' });
      expect(chat.attributes['gen_ai.response.finish_reasons']).toEqual(['end']);
    }
    // Each call's tokens are the ledger's, call for call; the costs add up to the ledger's.
    expect(spanCalls(spans)).toEqual(ledgerCalls(ledger));
    const spanCost = chats.reduce((sum, chat) => sum + (chat.attributes['agent_team.cost_usd'] as number), 0);
    const ledgerCost = ledger.filter((entry) => entry.type === 'model-call').reduce((sum, entry) => sum + (entry['costUsd'] as number), 0);
    expect(spanCost).toBeCloseTo(ledgerCost, 10);

    // The run and its task on every span (a run from the command line is its own task); each task's work carries its subtask.
    for (const span of spans)
      expect(span.attributes).toMatchObject({ 'agent_team.run_id': result.runId, 'agent_team.task_id': result.runId });
    const claims = ledger.filter((entry) => entry.type === 'task-claim');
    expect(claims.length).toBeGreaterThan(0);
    for (const claim of claims) {
      const agentId = String(claim['agentId']);
      const work = spans.filter((span) => span.name === `invoke_agent ${agentId}` && span.attributes['agent_team.purpose'] === 'work');
      const subtasks = work.map((span) => span.attributes['agent_team.subtask_id']);
      expect(subtasks).toContainEqual(expect.stringMatching(new RegExp(`::${result.runId}::${String(claim['taskId'])}$`)));
    }

    // Never the feature (it is in every prompt) nor a prompt's text.
    const sent = receiver.bodies.join('\n');
    expect(sent).not.toContain(FEATURE);
    expect(sent).not.toContain('You are');
  });

  it('marks a failed model call, and the spans it failed, with error.type; the error’s key stays out', async () => {
    const project: TempProject = await tempProject('agent-team-traces-');
    cleanups.push(() => project.cleanup());
    const key = 'sk-ant-api03-tracedsecret000000000000';
    const provider = createScriptedProvider().enqueue({
      error: new ProviderError({ provider: 'scripted', message: `HTTP 401: invalid x-api-key ${key}`, status: 401, failure: 'auth' }),
    });
    expect(await startTracing()).toBe(true);
    await expect(runTeam({ config: loadTeamConfig({ cwd: project.dir }), feature: FEATURE, providerInstance: provider })).rejects.toThrow(
      ProviderError,
    );
    await stopTracing();
    const { spans } = receiver;
    const { parentOf } = tree(spans);
    const chat = spans.find((span) => span.name.startsWith('chat '));
    expect(chat?.attributes).toMatchObject({ 'error.type': 'provider_error', 'gen_ai.provider.name': 'scripted' });
    expect(chat?.attributes).not.toHaveProperty('gen_ai.usage.input_tokens');
    expect(chat?.status.code).toBe(2);
    // The error goes up through the manager's work, the plan and the run.
    const chain: string[] = [];
    for (let span = chat && parentOf(chat); span !== undefined; span = parentOf(span)) {
      chain.push(span.name);
      expect(span.attributes['error.type']).toBe('provider_error');
    }
    expect(chain).toEqual(['invoke_agent manager', 'orchestrator.plan', 'orchestrator.run']);
    expect(chat?.status.message).toContain('HTTP 401');
    expect(receiver.bodies.join('\n')).not.toContain(key);
  });

  it('in the service: the plan and the run of a task each a trace with its task_id, the work on each subtask with its subtask_id', async () => {
    expect(await startTracing()).toBe(true);
    const service = await startService();
    const taskId = 'traced-task';
    expect((await service.call('/orchestrate', { method: 'POST', json: orchestrateBody(taskId) })).status).toBe(200);
    expect((await service.call(`/execute/${taskId}`, { method: 'POST', json: {} })).status).toBe(202);
    const view = (await waitForStatus(service.call, taskId, ['completed', 'failed'])) as unknown as {
      status: string;
      subtasks: { subtask_id: string }[];
    };
    expect(view.status).toBe('completed');
    await service.server.close();
    await stopTracing();
    const { spans } = receiver;
    const roots = spans.filter((span) => span.name === 'orchestrator.run');
    expect(roots.map((span) => span.attributes['agent_team.run.resumed']).sort()).toEqual([false, true]);
    expect(new Set(roots.map((span) => span.traceId)).size).toBe(2);
    for (const span of spans) expect(span.attributes['agent_team.task_id']).toBe(taskId);
    const worked = new Set(
      spans
        .filter((span) => span.name.startsWith('invoke_agent ') && span.attributes['agent_team.purpose'] === 'work')
        .map((span) => span.attributes['agent_team.subtask_id']),
    );
    expect([...worked].sort()).toEqual(view.subtasks.map((subtask) => subtask.subtask_id).sort());
  });

  it('in a workspace run puts each file tool call in an execute_tool span under the agent working on the task', async () => {
    const repo: TempRepository = await sampleRepo();
    cleanups.push(() => repo.cleanup());
    const { config, settings } = await writeWorkspaceConfig(repo);
    cleanups.push(() => settings.cleanup());
    expect(await startTracing()).toBe(true);
    const result = await runTeam({ config, feature: 'Add user authentication', seed: 1, timeScale: 0, workspace: repo.dir });
    await stopTracing();
    expect(result.status).toBe('done');
    const ledger = await readEntries(result.files.ledger);
    const { spans } = receiver;
    const { parentOf } = tree(spans);
    const tools = spans.filter((span) => span.name.startsWith('execute_tool '));
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) {
      expect(tool.name).toBe(`execute_tool ${String(tool.attributes['gen_ai.tool.name'])}`);
      expect(tool.attributes['gen_ai.operation.name']).toBe('execute_tool');
      const agent = parentOf(tool);
      expect(agent?.name).toMatch(/^invoke_agent /);
      expect(agent?.attributes['agent_team.purpose']).toBe('work');
      expect(tool.attributes['agent_team.subtask_id']).toBe(agent?.attributes['agent_team.subtask_id']);
    }
    // Every committed task wrote its files through tools, inside its own subtask's span.
    for (const commit of ledger.filter((entry) => entry.type === 'task-commit')) {
      const subtask = new RegExp(`::${result.runId}::${String(commit['taskId'])}$`);
      expect(tools.filter((tool) => subtask.test(String(tool.attributes['agent_team.subtask_id']))).length).toBeGreaterThan(0);
    }
    // Gates review a task's diff as agents of their own, under the task's subtask.
    const gates = spans.filter((span) => span.attributes['agent_team.purpose'] === 'gate' && span.name.startsWith('invoke_agent '));
    for (const gate of gates) expect(gate.attributes['agent_team.subtask_id']).toMatch(new RegExp(`::${result.runId}::`));
  });
});
