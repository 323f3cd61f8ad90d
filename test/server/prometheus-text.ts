/** Reading /metrics in tests: the Prometheus text parsed into samples, and the spend a ledger's model calls sum to. */
import { expect } from 'vitest';
import type { LedgerEntry, LedgerEvent } from '../../src/state/index.js';
import type { ServiceFixture } from './service-fixture.js';

/** One sample of the exposition text. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text format (samples only; label values here hold no escaped quotes). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`Not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with this name and exactly these labels (0 when absent: Prometheus's reading of a missing series). */
export function sampleValue(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

export async function scrape(fixture: ServiceFixture): Promise<Sample[]> {
  const response = await fixture.call('/metrics');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parseMetrics(await response.text());
}

type ModelCall = Extract<LedgerEvent, { type: 'model-call' }>;

/** Tokens by model, agent and kind, and dollars by model and agent, summed from the ledger's model calls. */
function spendOf(ledger: readonly LedgerEntry<LedgerEvent>[]): { tokens: Map<string, number>; cost: Map<string, number> } {
  const tokens = new Map<string, number>();
  const cost = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, value: number): void => {
    map.set(key, (map.get(key) ?? 0) + value);
  };
  for (const entry of ledger) {
    if (entry.type !== 'model-call') continue;
    const call = entry as ModelCall;
    const kinds = {
      input: call.usage.inputTokens,
      output: call.usage.outputTokens,
      cache_read: call.usage.cacheReadTokens,
      cache_write: call.usage.cacheWriteTokens,
    };
    for (const [kind, count] of Object.entries(kinds)) add(tokens, JSON.stringify([call.model, call.agentId, kind]), count);
    add(cost, JSON.stringify([call.model, call.agentId]), call.costUsd);
  }
  return { tokens, cost };
}

/** Checks that the token and cost series are exactly the ledger's sums: the same series, the same values. */
export function expectSpendOfLedger(samples: readonly Sample[], ledger: readonly LedgerEntry<LedgerEvent>[]): void {
  const { tokens, cost } = spendOf(ledger);
  expect(tokens.size).toBeGreaterThan(0);
  const tokenSamples = samples.filter((sample) => sample.name === 'agent_team_tokens_total');
  const costSamples = samples.filter((sample) => sample.name === 'agent_team_cost_usd_total');
  expect(tokenSamples).toHaveLength(tokens.size);
  expect(costSamples).toHaveLength(cost.size);
  for (const [key, count] of tokens) {
    const [model, agent, kind] = JSON.parse(key) as [string, string, string];
    expect(sampleValue(samples, 'agent_team_tokens_total', { model, agent, kind }), key).toBe(count);
  }
  for (const [key, usd] of cost) {
    const [model, agent] = JSON.parse(key) as [string, string];
    expect(sampleValue(samples, 'agent_team_cost_usd_total', { model, agent }), key).toBeCloseTo(usd, 9);
  }
}
