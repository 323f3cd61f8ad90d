/** Webhooks of a service on a PostgreSQL store: changes are read from the database's ledger, as any process wrote them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresForFile } from '../support/postgres.js';
import { useProcessesTimeout } from '../support/timeouts.js';
import { manualTimers } from './manual-timers.js';
import { orchestrateBody, type ServiceFixture, startService, waitForStatus } from './service-fixture.js';
import { signatureHolds, startReceiver, type WebhookReceiver } from './webhook-receiver.js';

useProcessesTimeout();
const postgres = postgresForFile();
const SECRET = 'postgres-secret-0123456789abcdef';
let service: ServiceFixture;
let receiver: WebhookReceiver;

beforeAll(async () => {
  const url = await (await postgres()).createDatabase();
  receiver = await startReceiver();
  service = await startService({
    store: `${url}&team=ignored-for-tasks`,
    webhooks: { urls: [receiver.url], secret: SECRET, scanIntervalMs: 3_600_000 },
    webhookSeams: { timers: manualTimers() },
  });
});

afterAll(async () => {
  await service?.cleanup();
  await receiver?.close();
});

describe('webhooks on PostgreSQL', () => {
  it("tell a task's statuses and its subtasks' states from the database's ledger", async () => {
    const { call, server } = service;
    const webhooks = server.webhooks;
    if (webhooks === null) throw new Error('webhooks are off');
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('pg-hook-1') });
    await call('/execute/pg-hook-1', { method: 'POST' });
    expect((await waitForStatus(call, 'pg-hook-1', ['completed', 'failed'])).status).toBe('completed');
    await webhooks.watcher.scan();
    await webhooks.dispatcher.idle();
    const statuses = receiver.deliveries.filter((delivery) => delivery.event.type === 'task.status_changed');
    expect(statuses.map((delivery) => delivery.event['status']).sort()).toEqual(['completed', 'planned', 'planning', 'running']);
    expect(receiver.deliveries.some((delivery) => delivery.event.type === 'subtask.state_changed')).toBe(true);
    expect(receiver.deliveries.every((delivery) => signatureHolds(delivery, SECRET))).toBe(true);
    // Read again, the same changes give nothing new.
    const count = receiver.deliveries.length;
    await webhooks.watcher.scan();
    await webhooks.dispatcher.idle();
    expect(receiver.deliveries).toHaveLength(count);
  });
});
