import { describe, expect, it } from 'vitest';
import { teamStateSchema } from '../../src/state/index.js';
import { readRunLedger, withTeamStore } from '../../src/team/index.js';
import { orchestrateBody, useServices, waitForStatus } from './service-fixture.js';

const service = useServices();

describe('POST /tasks/{task_id}/cancel', () => {
  it('aborts the run during slow model calls: the calls in flight record no answer, the run ends cancelled, the state is valid', async () => {
    // Sim calls take seconds at this scale: cancelling while one is in flight is the usual case, not a race.
    const { call, server } = await service({ timeScale: 0.25 });
    const config = server.runs.configFor('slow');
    expect((await call('/orchestrate', { method: 'POST', json: orchestrateBody('slow') })).status).toBe(200);
    expect((await call('/execute/slow', { method: 'POST' })).status).toBe(202);
    // Wait until a task's work call is in flight: claimed, not ended.
    let inFlight: string[] = [];
    while (inFlight.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const state = await withTeamStore(config, (store) => store.read());
      inFlight = state.tasks.filter((task) => task.status === 'in_progress').map((task) => task.id);
    }
    const before = await readRunLedger(config);
    const cancelSentAt = new Date().toISOString();
    const cancelled = await call('/tasks/slow/cancel', { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toEqual({ task_id: 'slow', status: 'cancelled' });
    // The cancel answers once the run stopped: nothing runs any more.
    expect(server.runs.isActive('slow')).toBe(false);
    const state = teamStateSchema.parse(await withTeamStore(config, (store) => store.read()));
    expect(state.run.status).toBe('interrupted');
    expect(state.run.endReason).toBe('cancelled by POST /tasks/{task_id}/cancel');
    expect(state.run.owner).toBeNull();
    expect(Object.keys(state.budget.reservations)).toEqual([]);
    const afterCancel = (await readRunLedger(config)).slice(before.length);
    const ended = new Set(afterCancel.flatMap((entry) => (entry.type === 'task-end' ? [entry.taskId] : [])));
    // A call that answered in the instant before the cancel arrived is a finished task, not an aborted one.
    const aborted = inFlight.filter((taskId) => !ended.has(taskId));
    expect(aborted.length).toBeGreaterThan(0);
    for (const taskId of aborted) {
      // The aborted call's answer is never applied: no model call recorded for it once the cancel was sent; the task waits as ready.
      const late = afterCancel.filter((entry) => entry.type === 'model-call' && entry.taskId === taskId && entry.at >= cancelSentAt);
      expect(late).toEqual([]);
      expect(state.tasks.find((task) => task.id === taskId)?.status).toBe('ready');
    }
    const view = (await (await call('/tasks/slow')).json()) as { status: string; status_history: { status: string }[]; end_reason: string };
    expect(view.status).toBe('cancelled');
    expect(view.status_history.map((change) => change.status)).toEqual(['planning', 'planned', 'running', 'cancelled']);
    // Cancelled is final.
    const again = await call('/execute/slow', { method: 'POST' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('task_cancelled');
  });

  it('cancels a planned task before it runs; a finished task cannot be cancelled', async () => {
    const { call } = await service();
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('planned-only') });
    const cancelled = await call('/tasks/planned-only/cancel', { method: 'POST' });
    expect(await cancelled.json()).toEqual({ task_id: 'planned-only', status: 'cancelled' });
    expect((await call('/execute/planned-only', { method: 'POST' })).status).toBe(409);
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('finished') });
    await call('/execute/finished', { method: 'POST' });
    await waitForStatus(call, 'finished', ['completed']);
    const late = await call('/tasks/finished/cancel', { method: 'POST' });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('task_ended');
  });
});
