import { describe, expect, it } from 'vitest';
import { createServiceMetrics, type ServiceTotals } from '../../src/observability/index.js';

const NONE: ServiceTotals = { tasksActive: 0, subtaskFailures: new Map(), tokens: [], cost: [] };

describe('ServiceMetrics', () => {
  it('keeps each instance on its own registry: two servers in one process neither collide nor share figures', async () => {
    const first = createServiceMetrics();
    const second = createServiceMetrics();
    first.observeRequest({ route: '/orchestrate', status: 200, seconds: 0.02 });
    const firstText = await first.render({ ...NONE, tasksActive: 2 });
    const secondText = await second.render(NONE);
    expect(firstText).toContain('orchestrator_tasks_active 2');
    expect(firstText).toContain('orchestrator_latency_seconds_count{route="/orchestrate",status="200"} 1');
    expect(secondText).toContain('orchestrator_tasks_active 0');
    expect(secondText).not.toContain('route="/orchestrate"');
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('sets the derived series from the totals of each scrape: never added to the last scrape, gone when the totals drop them', async () => {
    const metrics = createServiceMetrics();
    const totals: ServiceTotals = {
      tasksActive: 1,
      subtaskFailures: new Map([['qa-tester', 2]]),
      tokens: [
        { model: 'claude-sonnet-5', agent: 'manager', kind: 'input', tokens: 1200 },
        { model: 'claude-sonnet-5', agent: 'manager', kind: 'cache_read', tokens: 300 },
      ],
      cost: [{ model: 'claude-sonnet-5', agent: 'manager', usd: 0.0125 }],
    };
    await metrics.render(totals);
    const text = await metrics.render(totals);
    expect(text).toContain('orchestrator_subtask_failures_total{agent="qa-tester"} 2');
    expect(text).toContain('agent_team_tokens_total{model="claude-sonnet-5",agent="manager",kind="input"} 1200');
    expect(text).toContain('agent_team_tokens_total{model="claude-sonnet-5",agent="manager",kind="cache_read"} 300');
    expect(text).toContain('agent_team_cost_usd_total{model="claude-sonnet-5",agent="manager"} 0.0125');
    const emptied = await metrics.render(NONE);
    expect(emptied).not.toContain('agent="manager"');
    expect(emptied).not.toContain('agent="qa-tester"');
    expect(emptied).toContain('# TYPE agent_team_tokens_total counter');
  });
});
