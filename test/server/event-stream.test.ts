import { describe, expect, it } from 'vitest';
import { readRunLedger, withTeamStore } from '../../src/team/index.js';
import { orchestrateBody, type ServiceFixture, useServices, waitForStatus } from './service-fixture.js';
import { eventIds, type ReceivedEvent, readEvents } from './sse-reader.js';

const service = useServices();

/** Opens the task's event stream (after `lastEventId` when given) and reads `count` events, or all of them to the stream's end. */
async function receive(input: {
  call: ServiceFixture['call'];
  taskId: string;
  lastEventId?: string;
  count?: number;
}): Promise<ReceivedEvent[]> {
  const controller = new AbortController();
  const headers: Record<string, string> = input.lastEventId === undefined ? {} : { 'last-event-id': input.lastEventId };
  const response = await input.call(`/tasks/${input.taskId}/events`, { headers, signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: ReceivedEvent[] = [];
  for await (const event of readEvents(response)) {
    events.push(event);
    if (events.length === input.count) break;
  }
  // An explicit disconnect, as a client that goes away mid-stream.
  controller.abort();
  return events;
}

describe('GET /tasks/{task_id}/events', () => {
  it('streams the ledger live with <seq>.<index> ids; a client that disconnects and comes back with Last-Event-ID misses nothing and gets nothing twice', async () => {
    const { call, server } = await service({ timeScale: 0.02 });
    expect((await call('/orchestrate', { method: 'POST', json: orchestrateBody('sse-1') })).status).toBe(200);
    expect((await call('/execute/sse-1', { method: 'POST' })).status).toBe(202);
    const first = await receive({ call, taskId: 'sse-1', count: 12 });
    expect(first).toHaveLength(12);
    const lastId = first.at(-1)?.id as string;
    // The run goes on while the client is away.
    const rest = await receive({ call, taskId: 'sse-1', lastEventId: lastId });
    // The stream ended with the run: the ledger is whole now.
    const ledger = await readRunLedger(server.runs.configFor('sse-1'));
    expect(ledger.map((entry) => entry.type)).toContain('run-end');
    expect(new Set(ledger.map((entry) => entry.seq)).size).toBeLessThan(ledger.length);
    const received = [...first, ...rest];
    expect(received.map((event) => event.id)).toEqual(eventIds(ledger));
    expect(received.map((event) => event.event)).toEqual(ledger.map((entry) => entry.type));
    expect(received.map((event) => JSON.parse(event.data) as unknown)).toEqual(
      ledger.map((entry) => JSON.parse(JSON.stringify(entry)) as unknown),
    );
    expect((await waitForStatus(call, 'sse-1', ['completed'])).status).toBe('completed');
  });

  it('replays a finished task from any point and ends the stream; ?after= works like Last-Event-ID', async () => {
    const { call, server } = await service();
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('sse-2') });
    await call('/execute/sse-2', { method: 'POST' });
    await waitForStatus(call, 'sse-2', ['completed']);
    // "completed" comes with the run's end; its agents retire (agent-stop) just after, until the run lets go of its owner.
    const config = server.runs.configFor('sse-2');
    while ((await withTeamStore(config, (store) => store.read())).run.owner !== null)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const ledger = await readRunLedger(config);
    const all = await receive({ call, taskId: 'sse-2' });
    const ids = eventIds(ledger);
    expect(all.map((event) => event.id)).toEqual(ids);
    // Resuming in the middle of the entries of one update (one seq) misses none of the others.
    const shared = ids.findIndex((id, index) => id.endsWith('.1') && ids[index + 1]?.startsWith(`${id.split('.')[0]}.`));
    expect(shared).toBeGreaterThan(0);
    const tail = await receive({ call, taskId: 'sse-2', lastEventId: ids[shared] as string });
    expect(tail.map((event) => event.id)).toEqual(ids.slice(shared + 1));
    // A plain seq resumes after every entry of that seq.
    const middle = ledger[Math.floor(ledger.length / 2)]?.seq as number;
    const afterSeq = await receive({ call, taskId: 'sse-2', lastEventId: String(middle) });
    expect(afterSeq.map((event) => event.id)).toEqual(ids.filter((_id, index) => (ledger[index]?.seq as number) > middle));
    const response = await call(`/tasks/sse-2/events?after=${ids[shared]}`);
    const viaQuery: ReceivedEvent[] = [];
    for await (const event of readEvents(response)) viaQuery.push(event);
    expect(viaQuery.map((event) => event.id)).toEqual(tail.map((event) => event.id));
    const bad = await call('/tasks/sse-2/events', { headers: { 'last-event-id': 'abc' } });
    expect(bad.status).toBe(400);
  });

  it('keeps the stream of a planned task open until it is executed, then follows the run', async () => {
    const { call } = await service();
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('sse-3') });
    const controller = new AbortController();
    const response = await call('/tasks/sse-3/events', { signal: controller.signal });
    const events: ReceivedEvent[] = [];
    const reading = (async () => {
      for await (const event of readEvents(response)) {
        events.push(event);
      }
    })();
    // The plan's events arrive, then the stream waits: the run ended "planned".
    while (!events.some((event) => event.event === 'run-end')) await new Promise((resolve) => setTimeout(resolve, 20));
    await call('/execute/sse-3', { method: 'POST' });
    await reading;
    expect(events.map((event) => event.event)).toContain('run-resume');
    const ends = events.filter((event) => event.event === 'run-end').map((event) => JSON.parse(event.data) as { status: string });
    expect(ends.map((end) => end.status)).toEqual(['interrupted', 'done']);
    controller.abort();
  });
});
