/**
 * The team metrics of a run, from its ledger: parallel time, sequential time and speedup
 * in model time (never the wall clock), gate blocks and test failures.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDuration, runMetrics } from '../../src/report/run-metrics.js';
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
const call = (agentId: string, taskId: string | null, purpose: string, seconds: number, simulated = true): LedgerEvent => ({
  type: 'model-call',
  agentId,
  taskId,
  purpose,
  provider: simulated ? 'sim' : 'anthropic',
  model: 'claude-sonnet-5',
  usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
  costUsd: 0,
  latencyMs: seconds * 1000,
  simulated,
  repair: false,
});

// The wall clock says a minute; model time says: plan 4 s; T1 (backend) 6 s of work, a blocker
// resolved in 2 s, 3 s more, gates 1 s; T2 (frontend) 5 s of work, gates (failed) 2 s, undone merge.
// T1 ends at 4 + 6 + 2 + 3 + 1 = 16 s; T2 at 4 + 5 + 2 = 11 s; the integration summary takes 4 s more.
const RUN = ledger([
  [0, call('manager', null, 'plan', 4)],
  [0, { type: 'plan-create', agentId: 'manager', taskIds: ['T1', 'T2'] }],
  [0, claim('T1', 'backend-dev')],
  [5, claim('T2', 'frontend-dev')],
  [10, call('backend-dev', 'T1', 'work', 6)],
  [10, { type: 'blocker-raise', agentId: 'backend-dev', taskId: 'T1', blockerId: 'T1-B1', kind: 'question', question: '?' }],
  [25, call('frontend-dev', 'T2', 'work', 5)],
  [25, review('T2', 'frontend-dev')],
  [30, call('manager', 'T2', 'gate', 2)],
  [30, call('manager', 'T2', 'gate', 1)],
  [30, { type: 'gate-verdict', agentId: 'reviewer', taskId: 'T2', gate: 'security', passed: false, reasons: ['x'], round: 1 }],
  [30, { type: 'gate-verdict', agentId: 'reviewer', taskId: 'T2', gate: 'style', passed: false, reasons: ['y'], round: 1 }],
  [39, call('manager', 'T1', 'resolve', 2)],
  [39, { type: 'blocker-resolve', agentId: 'manager', taskId: 'T1', blockerId: 'T1-B1', resolutionKind: 'answer', resolution: '!' }],
  [40, claim('T1', 'backend-dev')],
  [50, call('backend-dev', 'T1', 'work', 3)],
  [50, review('T1', 'backend-dev')],
  [52, call('manager', 'T1', 'gate', 1)],
  [52, { type: 'gate-verdict', agentId: 'reviewer', taskId: 'T1', gate: 'security', passed: true, reasons: [], round: 1 }],
  [55, { type: 'task-merge', taskId: 'T1', status: 'merged', detail: '' }],
  [56, end('T1', 'backend-dev')],
  [58, { type: 'task-merge', taskId: 'T2', status: 'reverted', detail: 'tests failed' }],
  [60, end('T2', 'frontend-dev')],
  [61, call('manager', null, 'integrate', 4)],
]);

async function doneState(): Promise<TeamState> {
  return JSON.parse(await readFile(join(ROOT, 'test', 'fixtures', 'state', 'v1-done.json'), 'utf8')) as TeamState;
}

describe('runMetrics', () => {
  it('times the run in model time: parallel time on the virtual clock, the sum of every call as sequential time', async () => {
    const metrics = runMetrics(await doneState(), RUN, 1.25);
    expect(metrics).toEqual({
      totalTasks: 2,
      successful: 2,
      failed: 0,
      parallelTime: '20.0s',
      estimatedSequentialTime: '28.0s',
      speedup: '1.40x',
      cost: '$1.2500',
      gateBlocks: 1,
      testFailures: 1,
      parallelTimeMs: 20_000,
      estimatedSequentialTimeMs: 28_000,
      speedupRatio: 1.4,
      costUsd: 1.25,
      timeBasis: 'simulated model time',
    });
  });

  it('the same ledger with other timestamps (a slower machine, a pause) gives the same figures', async () => {
    const stretched = RUN.map((entry, index) => ({ ...entry, at: new Date(T0 + index * 3_600_000).toISOString() }));
    expect(runMetrics(await doneState(), stretched, 1.25)).toEqual(runMetrics(await doneState(), RUN, 1.25));
  });

  it('the roster’s room counts: an agent allowed two tasks at once runs two ready tasks side by side', async () => {
    const state = await doneState();
    const events = ledger([
      [0, { type: 'plan-create', agentId: 'manager', taskIds: ['T1', 'T2'] }],
      [0, claim('T1', 'backend-dev')],
      [1, call('backend-dev', 'T1', 'work', 3)],
      [1, end('T1', 'backend-dev')],
      [1, claim('T2', 'backend-dev')],
      [2, call('backend-dev', 'T2', 'work', 3)],
      [2, end('T2', 'backend-dev')],
    ]);
    expect(runMetrics(state, events, 0).parallelTimeMs).toBe(6_000);
    const roomy = structuredClone(state);
    (roomy.agents['backend-dev'] as { maxConcurrentTasks: number }).maxConcurrentTasks = 2;
    expect(runMetrics(roomy, events, 0)).toMatchObject({ parallelTimeMs: 3_000, estimatedSequentialTimeMs: 6_000, speedup: '2.00x' });
  });

  it('says whether the model time was simulated, measured or both', async () => {
    const state = await doneState();
    expect(runMetrics(state, ledger([[0, call('manager', null, 'plan', 1, false)]]), 0).timeBasis).toBe('measured model time');
    const both = ledger([
      [0, call('manager', null, 'plan', 1, false)],
      [1, call('manager', null, 'integrate', 1)],
    ]);
    expect(runMetrics(state, both, 0).timeBasis).toBe('mixed model time');
  });

  it('a run with no model call has no parallel time and a speedup of 0', async () => {
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
