/** A person in the loop on a PostgreSQL store: a manual run's checkpoint, approvals of the manager's resolutions, a person's own resolutions. */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInPaths } from '../../src/config/index.js';
import { PostgresStore } from '../../src/state/index.js';
import { readRunLedger } from '../../src/team/index.js';
import { postgresForFile } from '../support/postgres.js';
import { useProcessesTimeout } from '../support/timeouts.js';
import { orchestrateBody, type ServiceFixture, startService } from './service-fixture.js';

useProcessesTimeout();
const postgres = postgresForFile();
let service: ServiceFixture;
let url: string;

beforeAll(async () => {
  url = await (await postgres()).createDatabase();
  const config = JSON.parse(await readFile(builtInPaths().orchestratorConfig, 'utf8')) as Record<string, unknown>;
  service = await startService({
    store: `${url}&team=ignored-for-tasks`,
    orchestrator: {
      ...config,
      coordination: { ...(config['coordination'] as object), check_interval_seconds: 0.05 },
      provider: { ...(config['provider'] as object), blocker_rate: 1 },
    },
  });
});

afterAll(async () => {
  await service?.cleanup();
});

interface View {
  status: string;
  status_history: { status: string }[];
  blockers: { blocker_id: string; status: string }[];
  approvals: { approval_id: string; kind: string; checkpoint: string | null; status: string }[];
}

describe('a person in the loop on PostgreSQL', () => {
  it('waits at after_plan, then for each resolution of the manager; approvals and a person’s resolutions both go on', async () => {
    const { call, server } = service;
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('pg-manual') });
    const executed = await call('/execute/pg-manual', { method: 'POST', json: { execution_mode: 'manual', checkpoints: ['after_plan'] } });
    expect(executed.status).toBe(202);
    let approved = 0;
    let resolved = 0;
    for (;;) {
      const view = (await (await call('/tasks/pg-manual')).json()) as View;
      if (['completed', 'failed', 'cancelled', 'interrupted'].includes(view.status)) break;
      const pending = view.approvals.find((approval) => approval.status === 'pending');
      if (pending === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      expect(view.status).toBe('awaiting_approval');
      if (pending.kind === 'checkpoint') {
        expect(pending.checkpoint).toBe('after_plan');
        expect(approved + resolved).toBe(0);
      }
      // Alternately: approve the manager's resolution, or answer the blocker in its place.
      const blocker = view.blockers.find((candidate) => candidate.status === 'awaiting_approval');
      if (pending.kind === 'resolution' && blocker !== undefined && resolved < approved) {
        const response = await call(`/tasks/pg-manual/blockers/${blocker.blocker_id}/resolve`, {
          method: 'POST',
          json: { resolution: 'Keep it small.', by: 'ann' },
        });
        expect(response.status).toBe(200);
        resolved += 1;
      } else {
        const response = await call(`/tasks/pg-manual/approvals/${pending.approval_id}`, {
          method: 'POST',
          json: { decision: 'approve', by: 'ann' },
        });
        expect(response.status).toBe(200);
        approved += 1;
      }
    }
    const final = (await (await call('/tasks/pg-manual')).json()) as View;
    expect(final.status).toBe('completed');
    expect(resolved).toBeGreaterThan(0);
    expect(approved).toBeGreaterThan(1);
    expect(final.status_history.map((change) => change.status)).toContain('awaiting_approval');
    const ledger = await readRunLedger(server.runs.configFor('pg-manual'));
    const resolutions = ledger.filter((entry) => entry.type === 'blocker-resolve');
    expect(resolutions.filter((entry) => entry.resolver === 'person')).toHaveLength(resolved);
    expect(resolutions.filter((entry) => entry.resolver === 'manager' && entry.by === 'ann')).toHaveLength(approved - 1);
    // The approvals live in the run's row and read back whole.
    const store = new PostgresStore({ url, run: 'pg-manual' });
    try {
      const state = await store.read();
      expect(state.run.execution).toEqual({ mode: 'manual', checkpoints: ['after_plan'], slaSeconds: null });
      expect(state.run.approvals.length).toBe(approved + resolved);
      expect(state.blockers.every((blocker) => blocker.status === 'resolved' && blocker.resolver !== null)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('answers 503 for subtasks no agent can take and holds them blocked in the database, until an agent of the role is back', async () => {
    const config = JSON.parse(await readFile(builtInPaths().orchestratorConfig, 'utf8')) as Record<string, unknown>;
    const agents = config['agents'] as { role: string }[];
    await service.call('/orchestrate', { method: 'POST', json: orchestrateBody('pg-routing') });
    // Another server on the same database and data, whose roster has no QA tester.
    let body: { error: { code: string; subtasks: { role: string }[] } };
    const withoutQa = await startService({
      store: url,
      project: service.project,
      orchestrator: { ...config, agents: agents.filter((agent) => agent.role !== 'qa_tester') },
    });
    try {
      const refused = await withoutQa.call('/execute/pg-routing', { method: 'POST' });
      expect(refused.status).toBe(503);
      body = (await refused.json()) as typeof body;
      expect(body.error.code).toBe('agent_unavailable');
      expect(body.error.subtasks.length).toBeGreaterThan(0);
      expect(body.error.subtasks.every((subtask) => subtask.role === 'qa_tester')).toBe(true);
    } finally {
      await withoutQa.server.close();
    }
    const store = new PostgresStore({ url, run: 'pg-routing' });
    try {
      const state = await store.read();
      const held = state.tasks.filter((task) => task.hold?.reason === 'no_agent');
      expect(held.length).toBe(body.error.subtasks.length);
      expect(held.every((task) => task.role === 'qa_tester' && task.status === 'blocked')).toBe(true);
    } finally {
      await store.close();
    }
    // The first server has the whole roster: executing again releases them and the run completes.
    expect((await service.call('/execute/pg-routing', { method: 'POST' })).status).toBe(202);
    for (;;) {
      const view = (await (await service.call('/tasks/pg-routing')).json()) as View;
      if (['completed', 'failed', 'cancelled', 'interrupted'].includes(view.status)) {
        expect(view.status).toBe('completed');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
});
