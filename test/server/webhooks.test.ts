import { readdir, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/server/webhook-backoff.js';
import { manualTimers } from './manual-timers.js';
import { parseMetrics, sampleValue } from './prometheus-text.js';
import { orchestrateBody, startService, useServices, waitForStatus } from './service-fixture.js';
import { startReceiver, signatureHolds, type WebhookReceiver } from './webhook-receiver.js';

const service = useServices();
const SECRET = 'webhook-secret-0123456789abcdef';
/** A scan interval no retry uses, so the test fires retries alone. */
const SCAN_MS = 3_600_000;
const BASE_MS = 1_000;

const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
});

describe('webhooks on status changes', () => {
  it('retries a receiver that fails twice with backoff; the third attempt carries the same event id and a valid signature', async () => {
    // Every event is refused twice, then accepted.
    const flaky = await startReceiver({
      answer: (event, earlier) => (earlier.filter((delivery) => delivery.event.event_id === event.event_id).length < 2 ? 500 : 200),
    });
    const perTask = await startReceiver();
    receivers.push(flaky, perTask);
    const timers = manualTimers();
    const { call, server } = await service({
      // The per-task receiver listens on loopback: this server allows it by name.
      webhooks: {
        urls: [flaky.url],
        secret: SECRET,
        baseDelayMs: BASE_MS,
        scanIntervalMs: SCAN_MS,
        callbackHosts: { patterns: ['127.0.0.1'] },
      },
      webhookSeams: { timers, random: () => 0.5 },
    });
    const webhooks = server.webhooks;
    if (webhooks === null) throw new Error('webhooks are off');
    const submitted = await call('/orchestrate', {
      method: 'POST',
      json: orchestrateBody('hook-1', { metadata: { callback_url: perTask.url } }),
    });
    expect(submitted.status).toBe(200);
    await webhooks.watcher.scan();
    await webhooks.dispatcher.idle();
    const retries = (): number[] => timers.pendingDelays().filter((ms) => ms !== SCAN_MS);
    const events = new Set(flaky.deliveries.map((delivery) => delivery.event.event_id));
    expect(events.size).toBeGreaterThan(1);
    // One failed attempt each; each retry waits the first backoff step (jitter fixed at the middle of its range).
    expect(retries()).toEqual([...events].map(() => retryDelayMs(1, { baseDelayMs: BASE_MS, maxDelayMs: 300_000, random: () => 0.5 })));
    expect(await readdir(webhooks.outbox.directory)).toHaveLength(events.size);
    timers.fire((ms) => ms !== SCAN_MS);
    await webhooks.dispatcher.idle();
    // Twice as long after the second failure.
    expect(retries()).toEqual([...events].map(() => 1_500));
    timers.fire((ms) => ms !== SCAN_MS);
    await webhooks.dispatcher.idle();
    expect(retries()).toEqual([]);
    expect(await readdir(webhooks.outbox.directory)).toEqual([]);

    const planned = flaky.deliveries.filter(
      (delivery) => delivery.event.type === 'task.status_changed' && delivery.event['status'] === 'planned',
    );
    expect(planned.map((delivery) => delivery.answered)).toEqual([500, 500, 200]);
    const ids = planned.map((delivery) => delivery.headers['x-agent-team-event-id']);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(planned[0]?.event.event_id);
    expect(new Set(planned.map((delivery) => delivery.body)).size).toBe(1);
    for (const delivery of flaky.deliveries) {
      expect(signatureHolds(delivery, SECRET)).toBe(true);
      expect(signatureHolds(delivery, `${SECRET}x`)).toBe(false);
    }
    expect(planned[0]?.event).toMatchObject({
      type: 'task.status_changed',
      task_id: 'hook-1',
      status: 'planned',
      previous_status: 'planning',
    });
    // Every event reached every receiver: the task's own got each once (it accepts at once).
    expect(new Set(perTask.deliveries.map((delivery) => delivery.event.event_id))).toEqual(events);
    expect(perTask.deliveries).toHaveLength(events.size);
    const statuses = perTask.deliveries.filter((delivery) => delivery.event.type === 'task.status_changed');
    expect(statuses.map((delivery) => delivery.event['status']).sort()).toEqual(['planned', 'planning']);
    // Subtasks the plan made ready are told too.
    expect(perTask.deliveries.some((delivery) => delivery.event.type === 'subtask.state_changed')).toBe(true);
    // Nothing new: the next pass queues nothing.
    await webhooks.watcher.scan();
    await webhooks.dispatcher.idle();
    expect(perTask.deliveries).toHaveLength(events.size);

    const metrics = parseMetrics(await (await call('/metrics')).text());
    expect(sampleValue(metrics, 'agent_team_webhook_deliveries_total', { outcome: 'http_error' })).toBe(2 * events.size);
    expect(sampleValue(metrics, 'agent_team_webhook_deliveries_total', { outcome: 'delivered' })).toBe(2 * events.size);
  });

  it('follows a run to its end: running, then completed, each subtask to completed', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const timers = manualTimers();
    const { call, server } = await service({
      webhooks: { urls: [receiver.url], secret: SECRET, scanIntervalMs: SCAN_MS },
      webhookSeams: { timers },
    });
    const webhooks = server.webhooks;
    if (webhooks === null) throw new Error('webhooks are off');
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('hook-2') });
    await call('/execute/hook-2', { method: 'POST' });
    const view = (await (async () => {
      for (;;) {
        const task = (await (await call('/tasks/hook-2')).json()) as { status: string; subtasks: { subtask_id: string }[] };
        if (task.status === 'completed') return task;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })()) as { subtasks: { subtask_id: string }[] };
    await webhooks.watcher.scan();
    await webhooks.dispatcher.idle();
    // Deliveries run side by side, so they arrive in any order; `at` orders the changes.
    const statuses = receiver.deliveries
      .filter((delivery) => delivery.event.type === 'task.status_changed')
      .sort((left, right) => String(left.event['at']).localeCompare(String(right.event['at'])));
    expect(statuses.map((delivery) => [delivery.event['previous_status'], delivery.event['status']])).toEqual([
      [null, 'planning'],
      ['planning', 'planned'],
      ['planned', 'running'],
      ['running', 'completed'],
    ]);
    // Each subtask was told to have completed, and nothing after it.
    const changes = receiver.deliveries.flatMap((delivery) =>
      delivery.event.type === 'subtask.state_changed'
        ? [delivery.event['subtask'] as { subtask_id: string; state: string; previous_state: string }]
        : [],
    );
    const completed = changes.filter((change) => change.state === 'completed').map((change) => change.subtask_id);
    expect(completed.sort()).toEqual(view.subtasks.map((subtask) => subtask.subtask_id).sort());
    expect(changes.filter((change) => change.previous_state === 'completed')).toEqual([]);
  });

  it('tells changes another process made: a server without webhooks runs the task, one with them on the same data reports it', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const worker = await service();
    const reporter = await startService({
      project: worker.project,
      webhooks: { urls: [receiver.url], secret: SECRET, scanIntervalMs: SCAN_MS },
      webhookSeams: { timers: manualTimers() },
    });
    try {
      const webhooks = reporter.server.webhooks;
      if (webhooks === null) throw new Error('webhooks are off');
      await worker.call('/orchestrate', { method: 'POST', json: orchestrateBody('hook-7') });
      await worker.call('/execute/hook-7', { method: 'POST' });
      await waitForStatus(worker.call, 'hook-7', ['completed']);
      await webhooks.watcher.scan();
      await webhooks.dispatcher.idle();
      const statuses = receiver.deliveries.filter((delivery) => delivery.event.type === 'task.status_changed');
      expect(statuses.map((delivery) => delivery.event['status']).sort()).toEqual(['completed', 'planned', 'planning', 'running']);
    } finally {
      // Its runs are none; the worker's cleanup removes the shared project after.
      await reporter.server.close();
    }
  });

  it('moves a delivery to the dead-letter folder after the last attempt, and counts it', async () => {
    const down = await startReceiver({ answer: () => 503 });
    receivers.push(down);
    const timers = manualTimers();
    const { call, server } = await service({
      webhooks: { urls: [down.url], secret: SECRET, maxAttempts: 2, scanIntervalMs: SCAN_MS },
      webhookSeams: { timers },
    });
    const webhooks = server.webhooks;
    if (webhooks === null) throw new Error('webhooks are off');
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('hook-3') });
    await webhooks.watcher.scan();
    await webhooks.dispatcher.idle();
    const queued = await readdir(webhooks.outbox.directory);
    timers.fire((ms) => ms !== SCAN_MS);
    await webhooks.dispatcher.idle();
    expect(await readdir(webhooks.outbox.directory)).toEqual([]);
    const dead = await readdir(webhooks.outbox.deadDirectory);
    expect(dead.sort()).toEqual(queued.sort());
    const buried = JSON.parse(await readFile(`${webhooks.outbox.deadDirectory}/${dead[0]}`, 'utf8')) as Record<string, unknown>;
    expect(buried).toMatchObject({ attempts: 2, lastError: 'HTTP 503', url: down.url });
    expect(timers.pendingDelays().filter((ms) => ms !== SCAN_MS)).toEqual([]);
    const metrics = parseMetrics(await (await call('/metrics')).text());
    expect(sampleValue(metrics, 'agent_team_webhook_dead_letters_total', { reason: 'attempts' })).toBe(queued.length);
  });

  it('gives up on a receiver that does not answer in time and retries later', async () => {
    const slow = await startReceiver({ answer: () => null });
    receivers.push(slow);
    const timers = manualTimers();
    const timeout = new AbortController();
    const { call, server } = await service({
      webhooks: { urls: [slow.url], secret: SECRET, scanIntervalMs: SCAN_MS },
      webhookSeams: { timers, timeoutSignal: () => timeout.signal },
    });
    const webhooks = server.webhooks;
    if (webhooks === null) throw new Error('webhooks are off');
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('hook-4') });
    // The request path does not wait for deliveries: the answer came while the receiver holds them.
    await webhooks.watcher.scan();
    await slow.waitFor(() => true);
    timeout.abort();
    await webhooks.dispatcher.idle();
    const names = await readdir(webhooks.outbox.directory);
    expect(names.length).toBeGreaterThan(0);
    const entry = JSON.parse(await readFile(`${webhooks.outbox.directory}/${names[0]}`, 'utf8')) as Record<string, unknown>;
    expect(entry).toMatchObject({ attempts: 1, lastError: 'no answer before the timeout' });
    const metrics = parseMetrics(await (await call('/metrics')).text());
    expect(sampleValue(metrics, 'agent_team_webhook_deliveries_total', { outcome: 'timeout' })).toBe(names.length);
  });

  it('refuses a callback_url on a server without a webhook secret; the API description has the webhook', async () => {
    const { call } = await service();
    const response = await call('/orchestrate', {
      method: 'POST',
      json: orchestrateBody('hook-5', { metadata: { callback_url: 'http://127.0.0.1:9/hook' } }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { fields: { field: string; issue: string }[] } };
    expect(body.error.fields[0]?.field).toBe('metadata.callback_url');
    expect(body.error.fields[0]?.issue).toMatch(/AGENT_TEAM_WEBHOOK_SECRET/);
    const doc = (await (await call('/openapi.json')).json()) as {
      webhooks: Record<string, { post: { parameters: { name: string }[] } }>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.webhooks['task-status-changed']?.post.parameters.map((parameter) => parameter.name)).toEqual([
      'X-Agent-Team-Event-Id',
      'X-Agent-Team-Timestamp',
      'X-Agent-Team-Signature',
    ]);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['WebhookEvent', 'WebhookTaskStatusChanged']));
    const bad = await call('/orchestrate', {
      method: 'POST',
      json: orchestrateBody('hook-6', { metadata: { callback_url: 'ftp://example.com/x' } }),
    });
    expect(bad.status).toBe(400);
  });
});
