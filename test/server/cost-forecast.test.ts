/** The run page's forecast of the remaining cost, checked against figures worked out by hand. */
import { describe, expect, it } from 'vitest';
import { forecastRemainingCost } from '../../src/server/cost-forecast.js';
import type { LedgerEntry, LedgerEvent, Task } from '../../src/state/index.js';

type TaskLine = Pick<Task, 'id' | 'status' | 'complexity'>;

let seq = 0;
/** A model call of `costUsd` on `taskId` (null: a call about no task, such as the plan). */
function call(taskId: string | null, costUsd: number): LedgerEntry<LedgerEvent> {
  seq += 1;
  return {
    seq,
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    type: 'model-call',
    agentId: taskId === null ? 'manager' : 'backend-dev',
    taskId,
    purpose: taskId === null ? 'plan' : 'work',
    provider: 'sim',
    model: 'claude-sonnet-4-5',
    usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    costUsd,
    latencyMs: 0,
    simulated: true,
    repair: false,
  } as unknown as LedgerEntry<LedgerEvent>;
}

const TASKS: TaskLine[] = [
  { id: 'T1', status: 'done', complexity: 'simple' },
  { id: 'T2', status: 'done', complexity: 'complex' },
  { id: 'T3', status: 'in_progress', complexity: 'simple' },
  { id: 'T4', status: 'pending', complexity: 'complex' },
  { id: 'T5', status: 'ready', complexity: 'medium' },
  { id: 'T6', status: 'cancelled', complexity: 'complex' },
];

describe('forecast of the remaining cost', () => {
  it('by complexity: each task left costs the mean of the finished ones of its complexity, less what it has cost', () => {
    const ledger = [call(null, 0.05), call('T1', 0.01), call('T1', 0.02), call('T2', 0.1), call('T3', 0.01)];
    const forecast = forecastRemainingCost({ tasks: TASKS, ledger, spentUsd: 0.19, capUsd: 0.3 });
    // By hand: simple 0.03 (T1), complex 0.10 (T2), all finished (0.03 + 0.10) / 2 = 0.065.
    // T3 (simple, 0.01 spent): 0.03 - 0.01 = 0.02; T4 (complex): 0.10; T5 (medium, none finished): 0.065.
    // Left: 0.02 + 0.10 + 0.065 = 0.185; total 0.19 + 0.185 = 0.375, above the 0.30 cap. T6 is cancelled.
    expect(forecast.method).toBe('by-complexity');
    expect(forecast.tasksFinished).toBe(2);
    expect(forecast.tasksLeft).toBe(3);
    expect(forecast.unitUsd.simple).toBeCloseTo(0.03, 12);
    expect(forecast.unitUsd.complex).toBeCloseTo(0.1, 12);
    expect(forecast.unitUsd.medium).toBeUndefined();
    expect(forecast.unitUsd.all).toBeCloseTo(0.065, 12);
    expect(forecast.remainingUsd).toBeCloseTo(0.185, 12);
    expect(forecast.totalUsd).toBeCloseTo(0.375, 12);
    expect(forecast.exceedsCap).toBe(true);
    expect(forecastRemainingCost({ tasks: TASKS, ledger, spentUsd: 0.19, capUsd: 0.4 }).exceedsCap).toBe(false);
    expect(forecastRemainingCost({ tasks: TASKS, ledger, spentUsd: 0.19, capUsd: null }).exceedsCap).toBe(false);
  });

  it('a task left that already cost more than its complexity’s mean adds nothing; a failed task counts as finished', () => {
    const tasks: TaskLine[] = [
      { id: 'A', status: 'failed', complexity: 'medium' },
      { id: 'B', status: 'review', complexity: 'medium' },
      { id: 'C', status: 'blocked', complexity: 'medium' },
    ];
    const ledger = [call('A', 0.04), call('B', 0.05)];
    const forecast = forecastRemainingCost({ tasks, ledger, spentUsd: 0.09, capUsd: 1 });
    // By hand: medium 0.04; B: max(0, 0.04 - 0.05) = 0; C: 0.04.
    expect(forecast.remainingUsd).toBeCloseTo(0.04, 12);
    expect(forecast.totalUsd).toBeCloseTo(0.13, 12);
  });

  it('without calls that name a task: the spend so far per finished task, times the tasks left', () => {
    const ledger = [call(null, 0.08), call(null, 0.12)];
    const forecast = forecastRemainingCost({ tasks: TASKS, ledger, spentUsd: 0.2, capUsd: 0.45 });
    // By hand: 0.20 / 2 finished = 0.10 a task; 3 left: 0.30; total 0.50, above 0.45.
    expect(forecast.method).toBe('per-task');
    expect(forecast.unitUsd).toEqual({ all: 0.1 });
    expect(forecast.remainingUsd).toBeCloseTo(0.3, 12);
    expect(forecast.totalUsd).toBeCloseTo(0.5, 12);
    expect(forecast.exceedsCap).toBe(true);
  });

  it('no estimate before any task finished; nothing more once no task is left', () => {
    const waiting: TaskLine[] = TASKS.map((task) => ({ ...task, status: task.status === 'done' ? 'in_progress' : task.status }));
    const early = forecastRemainingCost({ tasks: waiting, ledger: [call(null, 0.05), call('T1', 0.01)], spentUsd: 0.06, capUsd: 0.07 });
    expect(early).toMatchObject({ remainingUsd: null, totalUsd: null, tasksFinished: 0, tasksLeft: 5, exceedsCap: false, method: null });
    const over: TaskLine[] = TASKS.map((task) => ({ ...task, status: task.status === 'cancelled' ? 'cancelled' : 'done' }));
    const ended = forecastRemainingCost({ tasks: over, ledger: [call('T1', 0.3)], spentUsd: 0.3, capUsd: 1 });
    expect(ended).toMatchObject({ remainingUsd: 0, totalUsd: 0.3, tasksLeft: 0, exceedsCap: false });
  });
});
