import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookDispatcher } from '../../src/server/webhook-dispatcher.js';
import type { WebhookEvent } from '../../src/server/webhook-event.js';
import { WebhookOutbox } from '../../src/server/webhook-outbox.js';
import { deadPid } from '../support/processes.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { manualTimers } from './manual-timers.js';
import { signatureHolds, startReceiver, type WebhookReceiver } from './webhook-receiver.js';

const SECRET = 'outbox-secret-0123456789abcdef';
const EVENT: WebhookEvent = {
  event_id: 'evt_0123456789abcdef0123456789abcdef',
  type: 'task.status_changed',
  task_id: 'outbox-1',
  run_id: null,
  status: 'planning',
  previous_status: null,
  reason: null,
  at: '2030-01-01T00:00:00.000Z',
};

let project: TempProject | undefined;
const receivers: WebhookReceiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  await project?.cleanup();
  project = undefined;
});

describe('the webhook outbox', () => {
  it('keeps one entry per event and receiver: the same event found again overwrites its own', async () => {
    project = await tempProject();
    const outbox = new WebhookOutbox(project.dir);
    await outbox.open();
    const now = new Date('2030-01-01T00:00:01.000Z');
    const first = await outbox.put({ url: 'http://127.0.0.1:9/a', event: EVENT, now });
    expect(await outbox.put({ url: 'http://127.0.0.1:9/a', event: EVENT, now })).toBe(first);
    await outbox.put({ url: 'http://127.0.0.1:9/b', event: EVENT, now });
    expect(await outbox.names()).toHaveLength(2);
  });

  it('removes temp files a killed writer left, and keeps the entries', async () => {
    project = await tempProject();
    const outbox = new WebhookOutbox(project.dir);
    await outbox.open();
    const name = await outbox.put({ url: 'http://127.0.0.1:9/a', event: EVENT, now: new Date() });
    const torn = `.${name}.${await deadPid()}.0a1b2c3d4e5f.tmp`;
    await writeFile(join(outbox.directory, torn), '{"version":1,"url":');
    await outbox.open();
    expect(await readdir(outbox.directory)).toEqual([name]);
  });

  it('delivers what a previous process left, signed; a damaged entry goes to the dead-letter folder, counted', async () => {
    project = await tempProject();
    const receiver = await startReceiver();
    receivers.push(receiver);
    const left = new WebhookOutbox(project.dir);
    await left.open();
    const name = await left.put({ url: receiver.url, event: EVENT, now: new Date() });
    await writeFile(join(left.directory, 'evt_damaged-000000000000.json'), '{"version": 1, "url": 42}\n');
    const outcomes: string[] = [];
    const dispatcher = new WebhookDispatcher({
      outbox: new WebhookOutbox(project.dir),
      secret: SECRET,
      userAgent: 'agent-team/test',
      timers: manualTimers(),
      metrics: {
        observeWebhookDelivery: (outcome) => outcomes.push(outcome),
        observeWebhookDeadLetter: (reason) => outcomes.push(`dead:${reason}`),
      },
    });
    await dispatcher.start();
    await dispatcher.idle();
    await dispatcher.close();
    expect(receiver.deliveries).toHaveLength(1);
    expect(receiver.deliveries[0]?.headers['x-agent-team-event-id']).toBe(EVENT.event_id);
    expect(receiver.deliveries[0]?.headers['user-agent']).toBe('agent-team/test');
    expect(JSON.parse(receiver.deliveries[0]?.body ?? '')).toEqual(EVENT);
    expect(signatureHolds(receiver.deliveries[0] as NonNullable<(typeof receiver.deliveries)[0]>, SECRET)).toBe(true);
    expect(outcomes.sort()).toEqual(['dead:damaged', 'delivered']);
    expect(await left.names()).toEqual([]);
    expect(await readdir(left.deadDirectory)).toEqual(['evt_damaged-000000000000.json']);
    const buried = JSON.parse(await readFile(join(left.deadDirectory, 'evt_damaged-000000000000.json'), 'utf8')) as { damaged: string };
    expect(buried.damaged).toMatch(/url/);
    expect(name).toMatch(/^evt_0123456789abcdef0123456789abcdef-[0-9a-f]{12}\.json$/);
  });
});
