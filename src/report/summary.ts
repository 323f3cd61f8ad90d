import { addUsage, emptyUsage, totalTokens, type Usage } from '../providers/index.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';
import type { RunDesign } from './run-design.js';
import { runMetrics, type RunMetrics } from './run-metrics.js';
import { runQuality, type RunQuality } from './run-quality.js';

/** Tokens and cost of one slice of the run (an agent, a model, a task). */
export interface SpendLine {
  calls: number;
  usage: Usage;
  totalTokens: number;
  costUsd: number;
}

/** A call whose vendor reported more than the call held: the `budget-overshoot` event and when it was recorded. */
export type OvershootLine = Omit<Extract<LedgerEvent, { type: 'budget-overshoot' }>, 'type'> & { at: string };

/** `summary.json`: counts by status, tokens, cost and time, computed from the ledger. */
export interface RunSummary {
  runId: string;
  feature: string;
  status: string;
  endReason: string | null;
  simulated: boolean;
  provider: string;
  seed: number;
  /** The repository the agents changed, or null. */
  workspace: string | null;
  resumes: number;
  tasks: { total: number; byStatus: Record<string, number> };
  blockers: { raised: number; resolved: number; open: number; loops: number; byResolution: Record<string, number> };
  calls: number;
  repairs: number;
  /** `reasoningTokens` is always given here (0 when none), and is part of `outputTokens`. */
  tokens: Usage & { reasoningTokens: number; total: number };
  costUsd: number;
  /** What the same calls would have cost with every call on its role's complex-tier model. */
  topTierCostUsd: number;
  /** Share of input tokens read from the provider's cache. */
  cacheHitRatio: number;
  byAgent: Record<string, SpendLine>;
  byModel: Record<string, SpendLine>;
  /** Spend by the provider that answered each call (in a replay, the one that answered when recorded). */
  byProvider: Record<string, SpendLine>;
  byTask: Record<string, SpendLine>;
  /** Calls whose vendor reported more than they held (each stopped the run from taking new calls); empty when none. */
  overshoots: OvershootLine[];
  time: { startedAt: string; endedAt: string | null; wallMs: number | null; modelMs: number };
  integrationSummary: string | null;
  /** Team performance: parallel and sequential time, speedup, gate blocks, test failures. */
  metrics: RunMetrics;
  /** Sim runs: defects introduced, caught and escaped (the sim's quality model); null for real runs. */
  quality: RunQuality | null;
  /** The team design the run used (roster, tiers, models, prompt hashes, coordination, sim settings); null when not known. */
  design: RunDesign | null;
}

function addSpend(map: Record<string, SpendLine>, key: string, usage: Usage, costUsd: number): void {
  const line = map[key] ?? { calls: 0, usage: emptyUsage(), totalTokens: 0, costUsd: 0 };
  line.calls += 1;
  line.usage = addUsage(line.usage, usage);
  line.totalTokens = totalTokens(line.usage);
  line.costUsd += costUsd;
  map[key] = line;
}

// Sums of USD are kept to a billionth of a cent: calls settle in whatever order they finish,
// and floating-point sums in another order differ in their last bits.
const USD_STEPS = 1e11;

/** A sum of USD rounded to a billionth of a cent, so the same calls give the same figure in any order. */
function roundUsd(usd: number): number {
  return Math.round(usd * USD_STEPS) / USD_STEPS;
}

function roundLines(map: Record<string, SpendLine>): Record<string, SpendLine> {
  for (const line of Object.values(map)) line.costUsd = roundUsd(line.costUsd);
  return map;
}

function count<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Builds the run summary: spend from the ledger's model-call events, counts from the final state. */
export function summarizeRun(
  state: TeamState,
  ledger: readonly LedgerEntry<LedgerEvent>[],
  topTierCost: (call: Extract<LedgerEvent, { type: 'model-call' }>) => number = (call) => call.costUsd,
  design: RunDesign | null = null,
): RunSummary {
  let usage = emptyUsage();
  let costUsd = 0;
  let topTierCostUsd = 0;
  let calls = 0;
  let repairs = 0;
  let modelMs = 0;
  const byAgent: Record<string, SpendLine> = {};
  const byModel: Record<string, SpendLine> = {};
  const byProvider: Record<string, SpendLine> = {};
  const byTask: Record<string, SpendLine> = {};
  const overshoots: OvershootLine[] = [];
  for (const entry of ledger) {
    if (entry.type === 'budget-overshoot') {
      const { type: _type, seq: _seq, ...line } = entry;
      overshoots.push(line);
    }
    if (entry.type !== 'model-call') continue;
    calls += 1;
    if (entry.repair) repairs += 1;
    usage = addUsage(usage, entry.usage);
    costUsd += entry.costUsd;
    topTierCostUsd += topTierCost(entry);
    modelMs += entry.latencyMs;
    addSpend(byAgent, entry.agentId, entry.usage, entry.costUsd);
    addSpend(byModel, entry.model, entry.usage, entry.costUsd);
    addSpend(byProvider, entry.provider, entry.usage, entry.costUsd);
    addSpend(byTask, entry.taskId ?? '(run)', entry.usage, entry.costUsd);
  }
  const allInput = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const startedAt = state.run.createdAt;
  const endedAt = state.run.endedAt;
  return {
    runId: state.run.id,
    feature: state.run.feature,
    status: state.run.status,
    endReason: state.run.endReason,
    simulated: state.run.simulated,
    provider: state.run.options.provider,
    seed: state.run.options.seed,
    workspace: state.run.options.workspace,
    resumes: state.run.resumes,
    tasks: { total: state.tasks.length, byStatus: count(state.tasks, (task) => task.status) },
    blockers: {
      raised: state.blockers.length,
      resolved: state.blockers.filter((blocker) => blocker.status === 'resolved').length,
      open: state.blockers.filter((blocker) => blocker.status !== 'resolved').length,
      loops: state.blockers.filter((blocker) => blocker.kind === 'loop').length,
      byResolution: count(
        state.blockers.filter((blocker) => blocker.resolutionKind !== null),
        (blocker) => blocker.resolutionKind ?? 'none',
      ),
    },
    calls,
    repairs,
    tokens: { ...usage, reasoningTokens: usage.reasoningTokens ?? 0, total: totalTokens(usage) },
    costUsd: roundUsd(costUsd),
    topTierCostUsd: roundUsd(topTierCostUsd),
    cacheHitRatio: allInput === 0 ? 0 : usage.cacheReadTokens / allInput,
    byAgent: roundLines(byAgent),
    byModel: roundLines(byModel),
    byProvider: roundLines(byProvider),
    byTask: roundLines(byTask),
    overshoots,
    time: { startedAt, endedAt, wallMs: endedAt === null ? null : Date.parse(endedAt) - Date.parse(startedAt), modelMs },
    integrationSummary: state.run.integrationSummary,
    metrics: runMetrics(state, ledger, roundUsd(costUsd)),
    quality: runQuality(state, ledger),
    design,
  };
}
