import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { builtInPaths } from '../../src/config/index.js';
import { readRunLedger } from '../../src/team/index.js';
import { expectSpendOfLedger, type Sample, sampleValue, scrape } from './prometheus-text.js';
import { orchestrateBody, type ServiceFixture, startService, waitForStatus } from './service-fixture.js';

const services: ServiceFixture[] = [];

afterEach(async () => {
  // Last started first, one after the other: two servers of one test may share their project.
  for (const started of services.splice(0).reverse()) await started.cleanup();
});

interface TaskView {
  status: string;
  metrics: { cost_usd: number };
  subtasks: { agent: string | null; state: string }[];
}

async function runToEnd(fixture: ServiceFixture, taskId: string): Promise<TaskView> {
  expect((await fixture.call('/orchestrate', { method: 'POST', json: orchestrateBody(taskId) })).status).toBe(200);
  expect((await fixture.call(`/execute/${taskId}`, { method: 'POST' })).status).toBe(202);
  return (await waitForStatus(fixture.call, taskId, ['completed', 'failed'])) as unknown as TaskView;
}

describe('GET /metrics', () => {
  it('shows the tokens and dollars of a finished task as its ledger sums them, no task under way, and the latency of each route called', async () => {
    const fixture = await startService();
    services.push(fixture);
    const before = await scrape(fixture);
    expect(before.filter((sample) => sample.name.startsWith('agent_team_'))).toEqual([]);
    expect(sampleValue(before, 'orchestrator_tasks_active')).toBe(0);

    expect((await fixture.call('/orchestrate', { method: 'POST', json: orchestrateBody('metered') })).status).toBe(200);
    // Planned, not executed: under way all the same.
    expect(sampleValue(await scrape(fixture), 'orchestrator_tasks_active')).toBe(1);
    expect((await fixture.call('/execute/metered', { method: 'POST' })).status).toBe(202);
    const view = (await waitForStatus(fixture.call, 'metered', ['completed', 'failed'])) as unknown as {
      status: string;
      metrics: { cost_usd: number };
    };
    expect(view.status).toBe('completed');

    const samples = await scrape(fixture);
    const ledger = await readRunLedger(fixture.server.runs.configFor('metered'));
    expectSpendOfLedger(samples, ledger);
    const totalUsd = samples.filter((sample) => sample.name === 'agent_team_cost_usd_total').reduce((sum, sample) => sum + sample.value, 0);
    expect(totalUsd).toBeCloseTo(view.metrics.cost_usd, 6);
    expect(sampleValue(samples, 'orchestrator_tasks_active')).toBe(0);
    expect(samples.filter((sample) => sample.name === 'orchestrator_subtask_failures_total')).toEqual([]);

    const count = (route: string, status: string): number => sampleValue(samples, 'orchestrator_latency_seconds_count', { route, status });
    expect(count('/orchestrate', '200')).toBe(1);
    expect(count('/execute/:task_id', '202')).toBe(1);
    expect(count('/tasks/:task_id', '200')).toBeGreaterThanOrEqual(1);
    // The two scrapes before this one (a scrape is observed once answered).
    expect(count('/metrics', '200')).toBe(2);
    // Every sample of a histogram lies in the +Inf bucket.
    expect(sampleValue(samples, 'orchestrator_latency_seconds_bucket', { route: '/orchestrate', status: '200', le: '+Inf' })).toBe(1);
  });

  it('counts failed subtasks by agent from the ledger', async () => {
    const builtInConfig = JSON.parse(await readFile(builtInPaths().orchestratorConfig, 'utf8')) as Record<string, unknown>;
    // The sim team gives its simple tasks to claude-haiku-4-5: a window no prompt fits fails them at their one attempt, without a call.
    const fixture = await startService({
      orchestrator: {
        ...builtInConfig,
        coordination: { ...(builtInConfig['coordination'] as object), max_attempts: 1 },
        prices: { 'claude-haiku-4-5': { input: 1, output: 5, context_window: 200 } },
      },
    });
    services.push(fixture);
    const view = await runToEnd(fixture, 'failing');
    const ledger = await readRunLedger(fixture.server.runs.configFor('failing'));
    const failures = new Map<string, number>();
    for (const entry of ledger) {
      if (entry.type === 'task-end' && entry.status === 'failed') failures.set(entry.agentId, (failures.get(entry.agentId) ?? 0) + 1);
    }
    expect(failures.size).toBeGreaterThan(0);
    // Each failed at its one attempt: one failure per failed subtask, by the agent the view names.
    const failed = view.subtasks.filter((subtask) => subtask.state === 'failed');
    expect([...failures.values()].reduce((sum, count) => sum + count, 0)).toBe(failed.length);
    for (const subtask of failed) expect(failures.has(subtask.agent ?? '')).toBe(true);
    const samples = await scrape(fixture);
    for (const [agent, count] of failures) expect(sampleValue(samples, 'orchestrator_subtask_failures_total', { agent })).toBe(count);
    expect(sampleValue(samples, 'orchestrator_tasks_active')).toBe(0);
  });

  it('shows the same totals after a restart: derived from the ledgers, neither lost nor counted twice', async () => {
    const first = await startService();
    services.push(first);
    await runToEnd(first, 'before-restart');
    const before = await scrape(first);
    await first.server.close();

    const second = await startService({ project: first.project });
    services.push(second);
    const after = await scrape(second);
    const spend = (samples: readonly Sample[]): Sample[] => samples.filter((sample) => sample.name.startsWith('agent_team_'));
    expect(spend(after)).toEqual(spend(before));
    expectSpendOfLedger(after, await readRunLedger(second.server.runs.configFor('before-restart')));
    // Latency is this server's own.
    expect(sampleValue(after, 'orchestrator_latency_seconds_count', { route: '/orchestrate', status: '200' })).toBe(0);
  });

  it('is refused without the bearer token, and the refusal is observed', async () => {
    const fixture = await startService();
    services.push(fixture);
    const refused = await fixture.call('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } });
    expect(refused.status).toBe(401);
    const anonymous = await fetch(`${fixture.server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('orchestrator_');
    const samples = await scrape(fixture);
    expect(sampleValue(samples, 'orchestrator_latency_seconds_count', { route: '/metrics', status: '401' })).toBe(2);
    // A path no route serves is one series, whatever the path.
    await fixture.call('/no/such/route-1');
    await fixture.call('/no/such/route-2');
    expect(sampleValue(await scrape(fixture), 'orchestrator_latency_seconds_count', { route: '(unmatched)', status: '404' })).toBe(2);
  });
});
