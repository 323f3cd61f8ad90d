/**
 * The team-state side of a person's decisions: checkpoints hold tasks until approved, a person's
 * resolution of a blocker, the SLA's retries and review, and tasks no agent can take.
 */
import { describe, expect, it } from 'vitest';
import type { LedgerEvent, TeamState } from '../../../src/state/index.js';
import { decideApproval } from '../../../src/team/tasks/approval-decision.js';
import { proposeResolution } from '../../../src/team/tasks/approval-request.js';
import { dueCheckpoints, taskHeld } from '../../../src/team/tasks/checkpoints.js';
import { resolveBlockerByPerson } from '../../../src/team/tasks/person-resolution.js';
import { routeTasks } from '../../../src/team/tasks/routing.js';
import { nextTaskFor } from '../../../src/team/tasks/scheduler.js';
import { enforceSla, SLA_ATTEMPTS } from '../../../src/team/tasks/sla.js';
import { plannedTask, seedPlan, useScriptedTeams } from '../../support/team-fixture.js';

const setup = useScriptedTeams();

/** A running state with T1 (backend) and T2 (frontend, after T1), and a ledger to collect its events. */
async function planned(): Promise<{ state: TeamState; events: LedgerEvent[]; emit: (event: LedgerEvent) => void }> {
  const { fixture } = await setup({ status: 'running' });
  await seedPlan(fixture, [
    plannedTask({ id: 'T1', role: 'backend_developer' }),
    plannedTask({ id: 'T2', role: 'frontend_developer', dependsOn: ['T1'] }),
  ]);
  const state = structuredClone(await fixture.store.read());
  for (const agent of Object.values(state.agents)) agent.heartbeatAt = '2026-01-01T00:00:00.000Z';
  const events: LedgerEvent[] = [];
  return { state, events, emit: (event) => events.push(event) };
}

const NOW = '2026-01-01T00:00:00.000Z';
const later = (seconds: number): string => new Date(Date.parse(NOW) + seconds * 1000).toISOString();

function claim(state: TeamState, taskId: string, at: string): void {
  const task = state.tasks.find((candidate) => candidate.id === taskId);
  if (task === undefined) throw new TypeError(`no task ${taskId}`);
  task.status = 'in_progress';
  task.assignee = 'backend-dev';
  task.claimedAt = at;
  task.fence += 1;
  state.agents['backend-dev']?.activeTasks.push(taskId);
}

describe('checkpoints', () => {
  it('hold every task until after_plan is approved, and a task until its own checkpoint is', async () => {
    const { state, events, emit } = await planned();
    state.run.execution = { mode: 'manual', checkpoints: ['after_plan', 'before:T2'], slaSeconds: null };
    expect(nextTaskFor(state, 'backend-dev')).toBeUndefined();
    // Only after_plan is reached: T2 is not ready yet.
    expect(dueCheckpoints(state)).toEqual(['after_plan']);
    state.run.approvals.push(checkpointApproval('A1', 'after_plan'));
    expect(dueCheckpoints(state)).toEqual([]);
    const outcome = decideApproval({
      state,
      approvalId: 'A1',
      decision: { decision: 'approve', by: 'ann' },
      managerId: 'manager',
      now: NOW,
      emit,
    });
    expect(outcome.kind).toBe('decided');
    expect(nextTaskFor(state, 'backend-dev')?.id).toBe('T1');
    // T2's own checkpoint still holds once T1 is done and T2 is ready.
    const t1 = state.tasks[0];
    if (t1 !== undefined) t1.status = 'done';
    const t2 = state.tasks[1];
    if (t2 !== undefined) t2.status = 'ready';
    expect(taskHeld(state, { id: 'T2' })).toBe(true);
    expect(nextTaskFor(state, 'frontend-dev')).toBeUndefined();
    expect(dueCheckpoints(state)).toEqual(['before:T2']);
    expect(
      decideApproval({ state, approvalId: 'A1', decision: { decision: 'reject', by: 'bob' }, managerId: 'manager', now: NOW, emit }).kind,
    ).toBe('decided-before');
    expect(
      decideApproval({ state, approvalId: 'A9', decision: { decision: 'approve', by: 'bob' }, managerId: 'manager', now: NOW, emit }).kind,
    ).toBe('unknown');
    expect(events.filter((event) => event.type === 'approval-decide')).toEqual([
      { type: 'approval-decide', approvalId: 'A1', decision: 'approve', by: 'ann', note: null },
    ]);
  });

  it('a rejected task checkpoint fails that task and cancels its dependents', async () => {
    const { state, emit } = await planned();
    state.run.execution = { mode: 'manual', checkpoints: ['before:T1'], slaSeconds: null };
    state.run.approvals.push(checkpointApproval('A1', 'before:T1'));
    decideApproval({
      state,
      approvalId: 'A1',
      decision: { decision: 'reject', note: 'not now', by: 'ann' },
      managerId: 'manager',
      now: NOW,
      emit,
    });
    expect(state.tasks.map((task) => [task.id, task.status])).toEqual([
      ['T1', 'failed'],
      ['T2', 'cancelled'],
    ]);
    expect(state.tasks[0]?.failure).toBe('rejected at checkpoint before:T1 by ann: not now');
  });

  it('a rejected after_plan fails the run', async () => {
    const other = await planned();
    other.state.run.execution = { mode: 'manual', checkpoints: ['after_plan'], slaSeconds: null };
    other.state.run.approvals.push(checkpointApproval('A1', 'after_plan'));
    decideApproval({
      state: other.state,
      approvalId: 'A1',
      decision: { decision: 'reject', by: 'ann' },
      managerId: 'manager',
      now: NOW,
      emit: other.emit,
    });
    expect(other.state.run.status).toBe('failed');
    expect(other.state.tasks.every((task) => task.status === 'cancelled')).toBe(true);
    expect(other.events.at(-1)).toMatchObject({ type: 'run-end', status: 'failed' });
  });
});

function checkpointApproval(id: string, checkpoint: string): TeamState['run']['approvals'][number] {
  return {
    id,
    kind: 'checkpoint',
    checkpoint,
    taskId: null,
    blockerId: null,
    question: '?',
    proposal: null,
    requestedBy: 'manager',
    requestedAt: NOW,
    status: 'pending',
    decidedBy: null,
    decidedAt: null,
    note: null,
  };
}

/** T1 blocked by T1-B1, as an agent's report leaves it. */
function block(state: TeamState): void {
  const task = state.tasks[0];
  if (task !== undefined) task.status = 'blocked';
  state.blockers.push({
    id: 'T1-B1',
    taskId: 'T1',
    raisedBy: 'backend-dev',
    kind: 'question',
    question: 'Which database?',
    status: 'resolving',
    resolution: null,
    resolutionKind: null,
    resolvedBy: null,
    resolver: null,
    raisedAt: NOW,
    resolvedAt: null,
  });
}

describe('a blocker and a person', () => {
  it("a person's resolution supersedes the manager's pending one and resumes the task; a second one is refused", async () => {
    const { state, events, emit } = await planned();
    block(state);
    const blocker = state.blockers[0];
    if (blocker === undefined) throw new TypeError('no blocker');
    proposeResolution({ state, blocker, resolution: { kind: 'fail', answer: 'give up' }, managerId: 'manager', now: NOW, emit });
    expect(blocker.status).toBe('awaiting_approval');
    const outcome = resolveBlockerByPerson({
      state,
      blockerId: 'T1-B1',
      resolution: 'PostgreSQL 16',
      by: 'ann',
      managerId: 'manager',
      now: NOW,
      emit,
    });
    expect(outcome.kind).toBe('resolved');
    expect(state.tasks[0]?.status).toBe('ready');
    expect(state.run.approvals[0]?.status).toBe('withdrawn');
    expect(state.blockers[0]).toMatchObject({ status: 'resolved', resolution: 'PostgreSQL 16', resolvedBy: 'ann', resolver: 'person' });
    expect(events.find((event) => event.type === 'blocker-resolve')).toEqual({
      type: 'blocker-resolve',
      agentId: 'person',
      taskId: 'T1',
      blockerId: 'T1-B1',
      resolutionKind: 'answer',
      resolution: 'PostgreSQL 16',
      resolver: 'person',
      by: 'ann',
    });
    expect(state.messages.at(-1)).toMatchObject({ from: 'ann', to: 'backend-dev', body: 'PostgreSQL 16' });
    expect(
      resolveBlockerByPerson({ state, blockerId: 'T1-B1', resolution: 'again', by: 'bob', managerId: 'manager', now: NOW, emit }).kind,
    ).toBe('resolved-before');
    expect(
      resolveBlockerByPerson({ state, blockerId: 'T9-B1', resolution: 'x', by: 'bob', managerId: 'manager', now: NOW, emit }).kind,
    ).toBe('unknown');
  });

  it("approving applies the manager's resolution; rejecting with a note applies the note; without one, leaves it for a person", async () => {
    for (const [decision, note, status, resolution] of [
      ['approve', undefined, 'resolved', 'Use SQLite'],
      ['reject', 'Use PostgreSQL', 'resolved', 'Use PostgreSQL'],
      ['reject', undefined, 'awaiting_person', null],
    ] as const) {
      const { state, events, emit } = await planned();
      block(state);
      const blocker = state.blockers[0];
      if (blocker === undefined) throw new TypeError('no blocker');
      proposeResolution({ state, blocker, resolution: { kind: 'answer', answer: 'Use SQLite' }, managerId: 'manager', now: NOW, emit });
      decideApproval({ state, approvalId: 'A1', decision: { decision, note, by: 'ann' }, managerId: 'manager', now: NOW, emit });
      expect(blocker.status, decision).toBe(status);
      expect(blocker.resolution).toBe(resolution);
      const resolved = events.find((event) => event.type === 'blocker-resolve');
      if (status === 'resolved') {
        expect(resolved).toMatchObject({ resolver: decision === 'approve' ? 'manager' : 'person', by: 'ann' });
        expect(state.tasks[0]?.status).toBe('ready');
      } else {
        expect(resolved).toBeUndefined();
        expect(state.tasks[0]?.status).toBe('blocked');
      }
    }
  });
});

describe('the SLA of an attempt', () => {
  it(`retries an attempt past the SLA, and after ${SLA_ATTEMPTS} holds the task and flags the run for review`, async () => {
    const { state, events, emit } = await planned();
    state.run.execution = { mode: 'auto', checkpoints: [], slaSeconds: 60 };
    claim(state, 'T1', NOW);
    expect(enforceSla({ state, managerId: 'manager', now: later(60), emit })).toEqual([]);
    for (let miss = 1; miss <= SLA_ATTEMPTS; miss += 1) {
      claim(state, 'T1', later(100 * miss));
      expect(enforceSla({ state, managerId: 'manager', now: later(100 * miss + 61), emit })).toEqual(['T1']);
    }
    const task = state.tasks[0];
    expect(task).toMatchObject({ status: 'blocked', slaMisses: SLA_ATTEMPTS, hold: { reason: 'sla' } });
    expect(state.agents['backend-dev']?.activeTasks).toEqual([]);
    expect(events.filter((event) => event.type === 'task-sla').map((event) => event.type === 'task-sla' && event.action)).toEqual([
      'retry',
      'retry',
      'review',
    ]);
    expect(state.run.review?.taskIds).toEqual(['T1']);
    expect(state.run.approvals).toMatchObject([{ id: 'A1', kind: 'review', taskId: 'T1', status: 'pending' }]);
    // Approved: retried with a fresh count, and the flag goes.
    decideApproval({ state, approvalId: 'A1', decision: { decision: 'approve', by: 'ann' }, managerId: 'manager', now: NOW, emit });
    expect(state.tasks[0]).toMatchObject({ status: 'ready', slaMisses: 0, hold: null });
    expect(state.run.review).toBeNull();
  });
});

describe('the instant the SLA is judged at', () => {
  it('is the one given, so the write that follows a look never finds nothing to do', async () => {
    const { state, emit } = await planned();
    state.run.execution = { mode: 'auto', checkpoints: [], slaSeconds: 60 };
    claim(state, 'T1', NOW);
    expect(enforceSla({ state, managerId: 'manager', now: later(1), nowMs: Date.parse(later(61)), emit })).toEqual(['T1']);
    expect(state.tasks[0]).toMatchObject({ status: 'ready', slaMisses: 1 });
  });
});

describe('tasks no agent can take', () => {
  it('are held blocked with the reason, said once in the ledger, and released when their role has an agent again', async () => {
    const { state, events, emit } = await planned();
    const reasons = new Map([['frontend_developer', 'no agent of the roster has role frontend_developer']]);
    const routable = new Set(['backend_developer']);
    expect(routeTasks({ state, routable, reasons, now: NOW, emit })).toEqual(new Map([['frontend_developer', ['T2']]]));
    expect(state.tasks[1]).toMatchObject({ status: 'blocked', hold: { reason: 'no_agent' } });
    routeTasks({ state, routable, reasons, now: NOW, emit });
    expect(events.filter((event) => event.type === 'route-fail')).toHaveLength(1);
    routeTasks({ state, routable: new Set(['backend_developer', 'frontend_developer']), reasons: new Map(), now: NOW, emit });
    // Back to waiting for T1.
    expect(state.tasks[1]).toMatchObject({ status: 'pending', hold: null });
  });
});
