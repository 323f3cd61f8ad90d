/**
 * The team metrics of a run, from its ledger: working time per task (waiting is not work),
 * parallel time, speedup, gate blocks and test failures.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDuration, runMetrics, taskWorkTimes } from '../../src/report/run-metrics.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../../src/state/index.js';
import { ROOT } from '../support/cli.js';

const T0 = Date.parse('2026-01-05T10:00:00.000Z');

/** Ledger entries at `seconds` after T0, in order. */
function ledger(events: [seconds: number, event: LedgerEvent][]): LedgerEntry<LedgerEvent>[] {
  return events.map(([seconds, event], index) => ({ ...event, seq: index + 1, at: new Date(T0 + seconds * 1000).toISOString() }));
}

const claim = (taskId: string, agentId: string): LedgerEvent => ({ type: 'task-claim', agentId, taskId, attempt: 1, model: 'm' });
const end = (taskId: string, agentId: string): LedgerEvent => ({ type: 'task-end', agentId, taskId, status: 'done', detail: '' });
const review = (taskId: string, agentId: string): LedgerEvent => ({ type: 'task-review', agentId, taskId, gates: ['security'] });

// T1: works 0-10 s, waits on a blocker 10-40 s, works 40-50 s, is reviewed and merged 50-55 s.
// T2: works 5-25 s, its merge is undone by the tests, then it ends at 60 s.
const RUN = ledger([
  [0, claim('T1', 'backend-dev')],
  [5, claim('T2', 'frontend-dev')],
  [10, { type: 'blocker-raise', agentId: 'backend-dev', taskId: 'T1', blockerId: 'T1-B1', kind: 'question', question: '?' }],
  [25, review('T2', 'frontend-dev')],
  [30, { type: 'gate-verdict', agentId: 'reviewer', taskId: 'T2', gate: 'security', passed: false, reasons: ['x'], round: 1 }],
  [30, { type: 'gate-verdict', agentId: 'reviewer', taskId: 'T2', gate: 'style', passed: false, reasons: ['y'], round: 1 }],
  [40, claim('T1', 'backend-dev')],
  [50, review('T1', 'backend-dev')],
  [52, { type: 'gate-verdict', agentId: 'reviewer', taskId: 'T1', gate: 'security', passed: true, reasons: [], round: 1 }],
  [55, { type: 'task-merge', taskId: 'T1', status: 'merged', detail: '' }],
  [56, end('T1', 'backend-dev')],
  [58, { type: 'task-merge', taskId: 'T2', status: 'reverted', detail: 'tests failed' }],
  [60, end('T2', 'frontend-dev')],
]);

async function doneState(): Promise<TeamState> {
  return JSON.parse(await readFile(join(ROOT, 'test', 'fixtures', 'state', 'v1-done.json'), 'utf8')) as TeamState;
}

describe('taskWorkTimes', () => {
  it('adds every span from a claim to the answer and from review to the verdict; waiting is left out', () => {
    expect(Object.fromEntries(taskWorkTimes(RUN))).toEqual({ T1: 25_000, T2: 53_000 });
  });
});

describe('runMetrics', () => {
  it('measures from the first claim to the last task end, and counts failed gate rounds and undone merges once each', async () => {
    const metrics = runMetrics(await doneState(), RUN, 1.25);
    expect(metrics).toEqual({
      totalTasks: 2,
      successful: 2,
      failed: 0,
      parallelTime: '1m 00s',
      estimatedSequentialTime: '1m 18s',
      speedup: '1.30x',
      cost: '$1.2500',
      gateBlocks: 1,
      testFailures: 1,
      parallelTimeMs: 60_000,
      estimatedSequentialTimeMs: 78_000,
      speedupRatio: 1.3,
      costUsd: 1.25,
    });
  });

  it('a run with no claimed task has no parallel time and a speedup of 0', async () => {
    const metrics = runMetrics(await doneState(), [], 0);
    expect(metrics).toMatchObject({ parallelTimeMs: 0, parallelTime: '0.0s', speedup: '0.00x', speedupRatio: 0 });
  });
});

describe('formatDuration', () => {
  it.each([
    [4_200, '4.2s'],
    [59_949, '59.9s'],
    [60_000, '1m 00s'],
    [754_000, '12m 34s'],
    [3_723_000, '1h 02m 03s'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
