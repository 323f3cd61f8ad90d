import { describe, expect, it } from 'vitest';
import { orchestrateRequestSchema } from '../../src/server/api-schemas.js';
import { newTaskRecord, type TaskRecord } from '../../src/server/task-record.js';
import { START_CURSOR, taskEvents } from '../../src/server/webhook-task-events.js';
import type { LedgerEntry, LedgerEvent } from '../../src/state/index.js';
import { PLANNED_END_REASON } from '../../src/team/index.js';
import { orchestrateBody } from './service-fixture.js';

const RUN = 'run-1';

function record(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    ...newTaskRecord(orchestrateRequestSchema.parse(orchestrateBody('derive-1')), new Date('2030-01-01T00:00:00.000Z')),
    ...overrides,
  };
}

/** A ledger: each inner list is one update (one seq), at one second after the previous. */
function ledger(updates: LedgerEvent[][]): LedgerEntry<LedgerEvent>[] {
  return updates.flatMap((events, index) =>
    events.map((event) => ({ ...event, seq: index + 1, at: new Date(Date.UTC(2030, 0, 1, 0, 0, index + 1)).toISOString() })),
  );
}

const planned: LedgerEvent[][] = [
  [{ type: 'run-start', runId: RUN, feature: 'f', provider: 'sim', seed: 1, simulated: true }],
  [
    { type: 'plan-create', agentId: 'manager', taskIds: ['T1', 'T2'] },
    { type: 'task-ready', taskId: 'T1' },
  ],
  [{ type: 'run-end', runId: RUN, status: 'interrupted', reason: PLANNED_END_REASON }],
];
const executed: LedgerEvent[][] = [
  [{ type: 'run-resume', runId: RUN, resumes: 1, released: [] }],
  [{ type: 'task-claim', agentId: 'backend-dev', taskId: 'T1', attempt: 1, model: 'm' }],
  [
    { type: 'task-end', agentId: 'backend-dev', taskId: 'T1', status: 'done', detail: 'ok' },
    { type: 'task-ready', taskId: 'T2' },
  ],
  [{ type: 'task-claim', agentId: 'qa', taskId: 'T2', attempt: 1, model: 'm' }],
  [{ type: 'task-end', agentId: 'qa', taskId: 'T2', status: 'done', detail: 'ok' }],
  [{ type: 'run-end', runId: RUN, status: 'done', reason: 'done' }],
];

const describeEvent = (event: ReturnType<typeof taskEvents>['events'][number]): string =>
  event.type === 'task.status_changed'
    ? `${event.previous_status}->${event.status}`
    : `${event.subtask.subtask_id}:${event.subtask.previous_state}->${event.subtask.state}`;

describe('webhook events of a task', () => {
  it('are the status changes and subtask changes of its record and ledger', () => {
    const { events } = taskEvents({ record: record(), ledger: ledger([...planned, ...executed]), state: null, cursor: START_CURSOR });
    expect(events.map(describeEvent)).toEqual([
      'null->planning',
      'planning->planned',
      'planned->running',
      'running->completed',
      'unknown::derive-1::T1:pending->ready',
      'unknown::derive-1::T1:ready->running',
      'unknown::derive-1::T1:running->completed',
      'unknown::derive-1::T2:pending->ready',
      'unknown::derive-1::T2:ready->running',
      'unknown::derive-1::T2:running->completed',
    ]);
    expect(new Set(events.map((event) => event.event_id)).size).toBe(events.length);
  });

  it('are found in pieces as the ledger grows, each once, with the ids of the whole', () => {
    const whole = taskEvents({ record: record(), ledger: ledger([...planned, ...executed]), state: null, cursor: START_CURSOR });
    const first = taskEvents({
      record: record(),
      ledger: ledger([...planned, ...executed.slice(0, 2)]),
      state: null,
      cursor: START_CURSOR,
    });
    const rest = taskEvents({ record: record(), ledger: ledger([...planned, ...executed]), state: null, cursor: first.cursor });
    const ids = (events: { event_id: string }[]) => events.map((event) => event.event_id).sort();
    expect(ids([...first.events, ...rest.events])).toEqual(ids(whole.events));
    expect(taskEvents({ record: record(), ledger: ledger([...planned, ...executed]), state: null, cursor: rest.cursor }).events).toEqual(
      [],
    );
  });

  it('end cancelled when the record says so, under one id whether or not the run wrote its end since', () => {
    const cancelled = record({ cancelledAt: '2030-01-01T00:00:30.000Z' });
    const seen = taskEvents({
      record: cancelled,
      ledger: ledger([...planned, ...executed.slice(0, 2)]),
      state: null,
      cursor: START_CURSOR,
    });
    const last = seen.events.filter((event) => event.type === 'task.status_changed').at(-1);
    expect(last).toMatchObject({ status: 'cancelled', previous_status: 'running', at: '2030-01-01T00:00:30.000Z' });
    // The aborted run then writes its end (after the cancel request): no new status event.
    const ended: LedgerEntry<LedgerEvent>[] = [
      ...ledger([...planned, ...executed.slice(0, 2)]),
      {
        type: 'run-end',
        runId: RUN,
        status: 'interrupted',
        reason: 'cancelled by POST /tasks/{task_id}/cancel',
        seq: 99,
        at: '2030-01-01T00:00:31.000Z',
      },
    ];
    const after = taskEvents({ record: cancelled, ledger: ended, state: null, cursor: seen.cursor });
    expect(after.events.filter((event) => event.type === 'task.status_changed')).toEqual([]);
    const again = taskEvents({ record: cancelled, ledger: ended, state: null, cursor: START_CURSOR });
    expect(again.events.find((event) => event.type === 'task.status_changed' && event.status === 'cancelled')?.event_id).toBe(
      last?.event_id,
    );
  });

  it('of a task submitted again (its first plan refused) have ids of their own', () => {
    const once = taskEvents({ record: record(), ledger: [], state: null, cursor: START_CURSOR }).events[0];
    const again = taskEvents({ record: record({ receivedAt: '2030-01-02T00:00:00.000Z' }), ledger: [], state: null, cursor: START_CURSOR })
      .events[0];
    expect(once?.type).toBe('task.status_changed');
    expect(again?.event_id).not.toBe(once?.event_id);
  });
});
