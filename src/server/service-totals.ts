/**
 * The totals behind /metrics, derived on each scrape from what the service keeps: each task's status and
 * its ledger's `model-call` and `task-end` events (the truth the run summary reads too). Nothing is
 * counted in memory, so a restart neither loses nor doubles a figure; a task that is over is read once.
 */
import type { CostTotal, ServiceTotals, TokenKind, TokenTotal } from '../observability/index.js';
import type { LedgerEntry, LedgerEvent } from '../state/index.js';
import { ServiceError } from './service-error.js';
import { listTaskIds } from './task-config.js';
import type { TaskRuns } from './task-runs.js';
import { FINAL_STATUSES, taskStatus } from './task-status.js';

/** What one task's ledger adds to the totals. */
interface TaskTotals {
  readonly active: boolean;
  readonly failures: ReadonlyMap<string, number>;
  readonly tokens: ReadonlyMap<string, TokenTotal>;
  readonly cost: ReadonlyMap<string, CostTotal>;
}

/** The statuses of a task under way (an interrupted task may be executed again, but until then it is not). */
const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['planning', 'planned', 'running', 'awaiting_approval']);

function add<V>(map: Map<string, V>, key: string, value: V, sum: (old: V, value: V) => V): void {
  const old = map.get(key);
  map.set(key, old === undefined ? value : sum(old, value));
}

/** Sums one ledger: tokens and dollars of its model calls, failed subtasks by agent. */
export function ledgerTotals(ledger: readonly LedgerEntry<LedgerEvent>[]): Omit<TaskTotals, 'active'> {
  const failures = new Map<string, number>();
  const tokens = new Map<string, TokenTotal>();
  const cost = new Map<string, CostTotal>();
  const sumTokens = (old: TokenTotal, value: TokenTotal): TokenTotal => ({ ...old, tokens: old.tokens + value.tokens });
  for (const entry of ledger) {
    if (entry.type === 'task-end' && entry.status === 'failed') add(failures, entry.agentId, 1, (old, value) => old + value);
    if (entry.type !== 'model-call') continue;
    const { model, agentId: agent, usage } = entry;
    const kinds: Record<TokenKind, number> = {
      input: usage.inputTokens,
      output: usage.outputTokens,
      cache_read: usage.cacheReadTokens,
      cache_write: usage.cacheWriteTokens,
    };
    for (const [kind, count] of Object.entries(kinds) as [TokenKind, number][]) {
      add(tokens, JSON.stringify([model, agent, kind]), { model, agent, kind, tokens: count }, sumTokens);
    }
    add(cost, JSON.stringify([model, agent]), { model, agent, usd: entry.costUsd }, (old, value) => ({ ...old, usd: old.usd + value.usd }));
  }
  return { failures, tokens, cost };
}

/** Reads the service's totals; remembers those of tasks that are over. */
export class ServiceTotalsReader {
  readonly #runs: TaskRuns;
  readonly #dataDir: string;
  readonly #finished = new Map<string, TaskTotals>();

  constructor(input: { runs: TaskRuns; dataDir: string }) {
    this.#runs = input.runs;
    this.#dataDir = input.dataDir;
  }

  /** The totals over every task the service holds. */
  async read(): Promise<ServiceTotals> {
    let tasksActive = 0;
    const failures = new Map<string, number>();
    const tokens = new Map<string, TokenTotal>();
    const cost = new Map<string, CostTotal>();
    for (const taskId of await listTaskIds(this.#dataDir)) {
      const task = await this.#taskTotals(taskId);
      if (task === null) continue;
      if (task.active) tasksActive += 1;
      for (const [agent, count] of task.failures) add(failures, agent, count, (old, value) => old + value);
      for (const [key, total] of task.tokens) add(tokens, key, total, (old, value) => ({ ...old, tokens: old.tokens + value.tokens }));
      for (const [key, total] of task.cost) add(cost, key, total, (old, value) => ({ ...old, usd: old.usd + value.usd }));
    }
    return { tasksActive, subtaskFailures: failures, tokens: [...tokens.values()], cost: [...cost.values()] };
  }

  /** One task's totals; null for a task gone since the listing (its planning was refused). */
  async #taskTotals(taskId: string): Promise<TaskTotals | null> {
    const known = this.#finished.get(taskId);
    if (known !== undefined) return known;
    let snapshot: Awaited<ReturnType<TaskRuns['snapshot']>>;
    try {
      snapshot = await this.#runs.snapshot(taskId);
    } catch (error) {
      if (error instanceof ServiceError && error.status === 404) return null;
      throw error;
    }
    const status = taskStatus(snapshot);
    // The status is read before the ledger: a task seen over has written its last entry already.
    const totals = { active: ACTIVE_STATUSES.has(status), ...ledgerTotals(await this.#runs.ledgers.read(snapshot.config)) };
    if (FINAL_STATUSES.has(status) && !snapshot.active) this.#finished.set(taskId, totals);
    return totals;
  }
}
