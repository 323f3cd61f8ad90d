/**
 * The virtual clock behind parallel time: hand-written ledgers replayed on model time,
 * with dependencies, agents as lanes, blockers, gates, file waits and an interrupted run.
 */
import { describe, expect, it } from 'vitest';
import { replayModelSchedule } from '../../src/report/model-schedule.js';
import type { LedgerEntry, LedgerEvent } from '../../src/state/index.js';

const T0 = Date.parse('2026-01-05T10:00:00.000Z');

/** Ledger entries one second apart: the wall clock they carry must not matter. */
function ledger(events: readonly LedgerEvent[], at: (index: number) => number = (index) => T0 + index * 1000): LedgerEntry<LedgerEvent>[] {
  return events.map((event, index) => ({ ...event, seq: index + 1, at: new Date(at(index)).toISOString() }));
}

function call(agentId: string, taskId: string | null, purpose: string, seconds: number, repair = false): LedgerEvent {
  return {
    type: 'model-call',
    agentId,
    taskId,
    purpose,
    provider: 'sim',
    model: 'claude-sonnet-5',
    usage: { inputTokens: 10, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 },
    costUsd: 0.001,
    latencyMs: seconds * 1000,
    simulated: true,
    repair,
  };
}
const plan = (...taskIds: string[]): LedgerEvent => ({ type: 'plan-create', agentId: 'manager', taskIds });
const claim = (agentId: string, taskId: string): LedgerEvent => ({ type: 'task-claim', agentId, taskId, attempt: 1, model: 'm' });
const done = (agentId: string, taskId: string): LedgerEvent => ({ type: 'task-end', agentId, taskId, status: 'done', detail: '' });
const release = (agentId: string, taskId: string, reason: string): LedgerEvent => ({ type: 'task-release', agentId, taskId, reason });
const raise = (agentId: string, taskId: string): LedgerEvent => ({
  type: 'blocker-raise',
  agentId,
  taskId,
  blockerId: `${taskId}-B1`,
  kind: 'question',
  question: '?',
});
const resolve = (taskId: string, kind: 'answer' | 'new_task' = 'answer'): LedgerEvent => ({
  type: 'blocker-resolve',
  agentId: 'manager',
  taskId,
  blockerId: `${taskId}-B1`,
  resolutionKind: kind,
  resolution: 'do this',
});
const review = (agentId: string, taskId: string): LedgerEvent => ({ type: 'task-review', agentId, taskId, gates: ['security', 'style'] });
const verdict = (taskId: string, gate: string, passed: boolean, round: number): LedgerEvent => ({
  type: 'gate-verdict',
  agentId: 'manager',
  taskId,
  gate,
  passed,
  reasons: [],
  round,
});
const merged = (taskId: string): LedgerEvent => ({ type: 'task-merge', taskId, status: 'merged', detail: '' });

const ROOMS = new Map([
  ['manager', 10],
  ['backend-dev', 1],
  ['frontend-dev', 1],
]);

function replay(events: readonly LedgerEvent[], dependencies: Record<string, string[]> = {}, capacities = ROOMS) {
  return replayModelSchedule({ ledger: ledger(events), dependencies: new Map(Object.entries(dependencies)), capacities });
}

// Plan 10 s. T1 (backend) 20 s; T2 (frontend) 5 s, blocked, resolved in 4 s, then 6 s more;
// T3 (backend) needs both: starts at 30 s, takes 8 s; the integration summary takes 2 s.
const BLOCKED_RUN: LedgerEvent[] = [
  call('manager', null, 'plan', 10),
  plan('T1', 'T2', 'T3'),
  claim('backend-dev', 'T1'),
  claim('frontend-dev', 'T2'),
  call('frontend-dev', 'T2', 'work', 5),
  raise('frontend-dev', 'T2'),
  call('manager', 'T2', 'resolve', 4),
  resolve('T2'),
  claim('frontend-dev', 'T2'),
  call('frontend-dev', 'T2', 'work', 6),
  done('frontend-dev', 'T2'),
  call('backend-dev', 'T1', 'work', 20),
  done('backend-dev', 'T1'),
  claim('backend-dev', 'T3'),
  call('backend-dev', 'T3', 'work', 8),
  done('backend-dev', 'T3'),
  call('manager', null, 'integrate', 2),
];
const BLOCKED_DEPENDENCIES = { T3: ['T1', 'T2'] };

describe('replayModelSchedule', () => {
  it('runs two agents side by side: plan, work after dependencies, a blocker waiting on its resolution, integration last', () => {
    const schedule = replay(BLOCKED_RUN, BLOCKED_DEPENDENCIES);
    // 10 (plan) + max(T1 20, T2 5+4+6) + T3 8 + 2 (integration).
    expect(schedule).toMatchObject({ makespanMs: 40_000, modelMs: 55_000, simulatedCalls: 7, measuredCalls: 0 });
  });

  it('gives the timeline: each lane’s plan, attempts, resolutions and the integration, with how each attempt ended', () => {
    const { spans } = replay(BLOCKED_RUN, BLOCKED_DEPENDENCIES);
    const seconds = spans
      .map((span) => ({ ...span, start: span.start / 1000, end: span.end / 1000 }))
      .sort((a, b) => a.lane.localeCompare(b.lane) || a.start - b.start);
    expect(seconds).toEqual([
      { lane: 'backend-dev', kind: 'work', taskId: 'T1', start: 10, end: 30, outcome: 'done' },
      { lane: 'backend-dev', kind: 'work', taskId: 'T3', start: 30, end: 38, outcome: 'done' },
      { lane: 'frontend-dev', kind: 'work', taskId: 'T2', start: 10, end: 15, outcome: 'blocked' },
      { lane: 'frontend-dev', kind: 'work', taskId: 'T2', start: 19, end: 25, outcome: 'done' },
      { lane: 'manager', kind: 'plan', taskId: null, start: 0, end: 10, outcome: 'done' },
      { lane: 'manager', kind: 'resolve', taskId: 'T2', start: 15, end: 19, outcome: 'answer' },
      { lane: 'manager', kind: 'integrate', taskId: null, start: 38, end: 40, outcome: 'done' },
    ]);
  });

  it('does not depend on how independent agents interleaved in the ledger, nor on its timestamps', () => {
    // The backend's T1 answer recorded before anything of the frontend's, and every timestamp an hour apart.
    const reordered = [...BLOCKED_RUN.slice(0, 4), BLOCKED_RUN[11], BLOCKED_RUN[12], ...BLOCKED_RUN.slice(4, 11), ...BLOCKED_RUN.slice(13)];
    expect(reordered).toHaveLength(BLOCKED_RUN.length);
    const schedule = replayModelSchedule({
      ledger: ledger(reordered as LedgerEvent[], (index) => T0 + index * 3_600_000),
      dependencies: new Map(Object.entries(BLOCKED_DEPENDENCIES)),
      capacities: ROOMS,
    });
    expect(schedule.makespanMs).toBe(40_000);
    expect(schedule.modelMs).toBe(55_000);
  });

  it('a blocked dependency holds its dependent back: the resolution is on the path', () => {
    // T2 now needs 5 + 4 + 30 s, longer than T1: T3 starts after T2.
    const slow = BLOCKED_RUN.map((event) =>
      event.type === 'model-call' && event.taskId === 'T2' && event.latencyMs === 6000 ? call('frontend-dev', 'T2', 'work', 30) : event,
    );
    expect(replay(slow, BLOCKED_DEPENDENCIES).makespanMs).toBe((10 + 5 + 4 + 30 + 8 + 2) * 1000);
  });

  it('an agent is a lane: its claims run one after the other, or side by side up to max_concurrent_tasks', () => {
    const events = [
      plan('T1', 'T2'),
      claim('backend-dev', 'T1'),
      call('backend-dev', 'T1', 'work', 5),
      done('backend-dev', 'T1'),
      claim('backend-dev', 'T2'),
      call('backend-dev', 'T2', 'work', 7),
      done('backend-dev', 'T2'),
    ];
    expect(replay(events).makespanMs).toBe(12_000);
    // With room for two, the second claim does not wait for the first answer.
    const twoAtOnce = [events[0], events[1], events[4], events[2], events[3], events[5], events[6]] as LedgerEvent[];
    expect(replay(twoAtOnce, {}, new Map([['backend-dev', 2]])).makespanMs).toBe(7_000);
  });

  it('the manager resolves blockers side by side up to its max_concurrent_tasks', () => {
    const events = [
      plan('T1', 'T2'),
      claim('backend-dev', 'T1'),
      claim('frontend-dev', 'T2'),
      call('backend-dev', 'T1', 'work', 1),
      raise('backend-dev', 'T1'),
      call('frontend-dev', 'T2', 'work', 1),
      raise('frontend-dev', 'T2'),
      call('manager', 'T1', 'resolve', 10),
      call('manager', 'T2', 'resolve', 10),
      resolve('T1'),
      resolve('T2'),
    ];
    expect(replay(events).makespanMs).toBe(11_000);
    expect(replay(events, {}, new Map([['manager', 1]])).makespanMs).toBe(21_000);
  });

  it('in a workspace run a change waits for its gates: a round lasts its longest call plus its longest repair; a failed round sends it back', () => {
    const events = [
      plan('T1', 'T2'),
      claim('backend-dev', 'T1'),
      call('backend-dev', 'T1', 'work', 10),
      call('backend-dev', 'T1', 'work', 5),
      review('backend-dev', 'T1'),
      call('manager', 'T1', 'gate', 3),
      call('manager', 'T1', 'gate', 4),
      verdict('T1', 'security', false, 1),
      verdict('T1', 'style', true, 1),
      release('manager', 'T1', 'gate(s) failed'),
      claim('backend-dev', 'T1'),
      call('backend-dev', 'T1', 'work', 6),
      review('backend-dev', 'T1'),
      call('manager', 'T1', 'gate', 2),
      call('manager', 'T1', 'gate', 1),
      call('manager', 'T1', 'gate', 2, true),
      verdict('T1', 'security', true, 2),
      verdict('T1', 'style', true, 2),
      merged('T1'),
      done('backend-dev', 'T1'),
      claim('frontend-dev', 'T2'),
      call('frontend-dev', 'T2', 'work', 1),
      done('frontend-dev', 'T2'),
    ];
    // T1: 15 work + 4 gates + 6 work + (2 + 2) gates = 29; T2 starts after T1 is merged: 30.
    expect(replay(events, { T2: ['T1'] }).makespanMs).toBe(30_000);
    expect(replay(events, { T2: ['T1'] }).modelMs).toBe(34_000);
  });

  it('a task that waited for another task’s files starts once that task lets go of them', () => {
    const events = [
      plan('T1', 'T2'),
      claim('backend-dev', 'T1'),
      { type: 'task-wait', agentId: 'frontend-dev', taskId: 'T2', blockingTaskId: 'T1', files: ['src/a.ts'] } satisfies LedgerEvent,
      call('backend-dev', 'T1', 'work', 9),
      done('backend-dev', 'T1'),
      claim('frontend-dev', 'T2'),
      call('frontend-dev', 'T2', 'work', 3),
      done('frontend-dev', 'T2'),
    ];
    expect(replay(events).makespanMs).toBe(12_000);
  });

  it('a prerequisite added by a resolution starts after it and holds back only the blocked task’s next attempt', () => {
    const events = [
      plan('T1'),
      claim('backend-dev', 'T1'),
      call('backend-dev', 'T1', 'work', 2),
      raise('backend-dev', 'T1'),
      call('manager', 'T1', 'resolve', 3),
      resolve('T1', 'new_task'),
      { type: 'task-create', agentId: 'manager', taskId: 'T1-B1-T', reason: 'prerequisite of T1 (T1-B1)' } satisfies LedgerEvent,
      claim('frontend-dev', 'T1-B1-T'),
      call('frontend-dev', 'T1-B1-T', 'work', 4),
      done('frontend-dev', 'T1-B1-T'),
      claim('backend-dev', 'T1'),
      call('backend-dev', 'T1', 'work', 1),
      done('backend-dev', 'T1'),
    ];
    expect(replay(events, { T1: ['T1-B1-T'] }).makespanMs).toBe(10_000);
  });

  it('an interrupt and a resume add nothing: the aborted attempt left no call, the resumed one does the work', () => {
    const straight = [plan('T1'), claim('backend-dev', 'T1'), call('backend-dev', 'T1', 'work', 7), done('backend-dev', 'T1')];
    const interrupted = [
      plan('T1'),
      claim('backend-dev', 'T1'),
      release('backend-dev', 'T1', 'interrupted'),
      { type: 'run-end', runId: 'r', status: 'interrupted', reason: 'interrupted' } satisfies LedgerEvent,
      { type: 'run-resume', runId: 'r', resumes: 1, released: [] } satisfies LedgerEvent,
      claim('backend-dev', 'T1'),
      call('backend-dev', 'T1', 'work', 7),
      done('backend-dev', 'T1'),
    ];
    // A day passes between the interrupt and the resume.
    const paused = replayModelSchedule({
      ledger: ledger(interrupted, (index) => T0 + index * 1000 + (index >= 4 ? 86_400_000 : 0)),
      dependencies: new Map(),
      capacities: ROOMS,
    });
    const { spans: pausedSpans, ...pausedFigures } = paused;
    const { spans: straightSpans, ...straightFigures } = replay(straight);
    expect(pausedFigures).toEqual(straightFigures);
    expect(paused.makespanMs).toBe(7_000);
    // The timeline shows the aborted attempt as a zero-length span let go of, then the same work as without the pause.
    expect(pausedSpans.filter((span) => span.end > span.start)).toEqual(straightSpans.filter((span) => span.end > span.start));
  });

  it('an interrupted run that was not resumed counts the model time it had', () => {
    const events = [plan('T1', 'T2'), claim('backend-dev', 'T1'), call('backend-dev', 'T1', 'tool', 4), claim('frontend-dev', 'T2')];
    expect(replay(events)).toMatchObject({ makespanMs: 4_000, modelMs: 4_000 });
  });

  it('counts simulated and measured calls apart, and an empty ledger takes no time', () => {
    const measured = { ...(call('backend-dev', null, 'prompt', 1.5) as Extract<LedgerEvent, { type: 'model-call' }>), simulated: false };
    expect(replay([call('manager', null, 'plan', 1), measured])).toMatchObject({
      makespanMs: 1_000,
      modelMs: 2_500,
      simulatedCalls: 1,
      measuredCalls: 1,
    });
    expect(replay([])).toMatchObject({ makespanMs: 0, modelMs: 0, simulatedCalls: 0, measuredCalls: 0 });
  });
});
