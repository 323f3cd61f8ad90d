/** The service on a PostgreSQL store: each task_id is its own team in the database; plan, execute, view, events and cancel. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/state/index.js';
import { readRunLedger } from '../../src/team/index.js';
import { postgresForFile } from '../support/postgres.js';
import { useProcessesTimeout } from '../support/timeouts.js';
import { expectSpendOfLedger, sampleValue, scrape } from './prometheus-text.js';
import { orchestrateBody, type ServiceFixture, startService, waitForStatus } from './service-fixture.js';
import { readEvents } from './sse-reader.js';

useProcessesTimeout();
const postgres = postgresForFile();
let service: ServiceFixture;
let url: string;

beforeAll(async () => {
  url = await (await postgres()).createDatabase();
  service = await startService({ store: `${url}&team=ignored-for-tasks` });
});

afterAll(async () => {
  await service?.cleanup();
});

describe('agent-team serve on PostgreSQL', () => {
  it('plans and runs a task as the team keyed by its task_id, with its view and its whole event stream', async () => {
    const { call, server } = service;
    expect((await call('/readyz')).status).toBe(200);
    const plan = (await (await call('/orchestrate', { method: 'POST', json: orchestrateBody('pg-1') })).json()) as {
      status: string;
      subtasks: unknown[];
    };
    expect(plan.status).toBe('planned');
    expect(plan.subtasks.length).toBeGreaterThan(1);
    // The same submission again, and 409 for another body, as on the file store.
    expect(await (await call('/orchestrate', { method: 'POST', json: orchestrateBody('pg-1') })).json()).toEqual(plan);
    expect((await call('/orchestrate', { method: 'POST', json: orchestrateBody('pg-1', { priority: 'low' }) })).status).toBe(409);
    expect((await call('/execute/pg-1', { method: 'POST' })).status).toBe(202);
    const view = (await waitForStatus(call, 'pg-1', ['completed', 'failed', 'interrupted'])) as unknown as {
      status: string;
      metrics: { cost_usd: number };
      status_history: { status: string }[];
    };
    expect(view.status).toBe('completed');
    expect(view.metrics.cost_usd).toBeGreaterThan(0);
    expect(view.status_history.map((change) => change.status)).toEqual(['planning', 'planned', 'running', 'completed']);
    // The team's key in the database is the task id.
    const store = new PostgresStore({ url, run: 'pg-1' });
    try {
      expect((await store.read()).run.status).toBe('done');
    } finally {
      await store.close();
    }
    const ledger = await readRunLedger(server.runs.configFor('pg-1'));
    const samples = await scrape(service);
    expectSpendOfLedger(samples, ledger);
    expect(sampleValue(samples, 'orchestrator_tasks_active')).toBe(0);
    const events = [];
    for await (const event of readEvents(await call('/tasks/pg-1/events'))) events.push(event);
    expect(events.map((event) => event.event)).toEqual(ledger.map((entry) => entry.type));
    const middle = events[Math.floor(events.length / 2)]?.id as string;
    const rest = [];
    for await (const event of readEvents(await call('/tasks/pg-1/events', { headers: { 'last-event-id': middle } }))) rest.push(event);
    expect(rest.map((event) => event.id)).toEqual(events.slice(Math.floor(events.length / 2) + 1).map((event) => event.id));
  });

  it('keeps tasks apart and cancels a planned one', async () => {
    const { call } = service;
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('pg-2') });
    const cancelled = await call('/tasks/pg-2/cancel', { method: 'POST' });
    expect(await cancelled.json()).toEqual({ task_id: 'pg-2', status: 'cancelled' });
    const other = (await (await call('/tasks/pg-1')).json()) as { status: string };
    expect(other.status).toBe('completed');
  });

  it('leaves a run that a live server owns to it: a second server on the same data starts without taking it', async () => {
    const first = await startService({ store: url, timeScale: 0.2 });
    try {
      await first.call('/orchestrate', { method: 'POST', json: orchestrateBody('pg-3') });
      expect((await first.call('/execute/pg-3', { method: 'POST' })).status).toBe(202);
      const second = await startService({ store: url, project: first.project, timeScale: 0 });
      try {
        expect(await second.server.resumed).toEqual([]);
        expect(second.server.runs.isActive('pg-3')).toBe(false);
        // Still the first server's: it is the one that can cancel it.
        expect(first.server.runs.isActive('pg-3')).toBe(true);
        expect(await (await first.call('/tasks/pg-3/cancel', { method: 'POST' })).json()).toEqual({ task_id: 'pg-3', status: 'cancelled' });
      } finally {
        await second.server.close();
      }
    } finally {
      await first.cleanup();
    }
  });
});
