/**
 * The run summary's spend: the same model calls give the same USD figures whatever
 * order they settled in (calls of concurrent agents finish in any order).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeRun } from '../../src/report/summary.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../../src/state/index.js';
import { ROOT } from '../support/cli.js';

const call = (agentId: string, costUsd: number): LedgerEvent => ({
  type: 'model-call',
  agentId,
  taskId: null,
  purpose: 'work',
  provider: 'anthropic',
  model: 'claude-sonnet-5',
  usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
  costUsd,
  latencyMs: 1000,
  simulated: false,
  repair: false,
});

function entries(events: readonly LedgerEvent[]): LedgerEntry<LedgerEvent>[] {
  return events.map((event, index) => ({ ...event, seq: index + 1, at: '2026-01-05T10:00:00.000Z' }));
}

describe('the summary of a run’s spend', () => {
  it('gives the same totals for the same calls in any order', async () => {
    const state = JSON.parse(await readFile(join(ROOT, 'test', 'fixtures', 'state', 'v1-done.json'), 'utf8')) as TeamState;
    // In floating point these sum to different last bits in the two orders.
    const costs = [0.1, 0.2, 0.3, 0.000435, 0.0036075];
    const forward = costs.map((cost, index) => call(index % 2 === 0 ? 'a' : 'b', cost));
    const backward = [...forward].reverse();
    expect(costs.reduce((sum, cost) => sum + cost, 0)).not.toBe([...costs].reverse().reduce((sum, cost) => sum + cost, 0));
    const one = summarizeRun(state, entries(forward));
    const other = summarizeRun(state, entries(backward));
    expect(other.costUsd).toBe(one.costUsd);
    expect(other.byProvider).toEqual(one.byProvider);
    expect(other.byAgent).toEqual(one.byAgent);
    expect(one.costUsd).toBe(0.6040425);
  });
});
