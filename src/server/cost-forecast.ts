/**
 * What a run will still spend, estimated from what its finished tasks cost: simple on purpose, so a person
 * can redo it by hand from the ledger.
 *
 * 1. A task is finished when it is `done` or `failed` (its work is over) and left when it is `pending`,
 *    `ready`, `in_progress`, `blocked` or `review`; `cancelled` tasks cost nothing more.
 * 2. A task's cost is the sum of the ledger's model calls that name it.
 * 3. When the ledger names tasks on its calls: a left task is expected to cost the mean cost of the
 *    finished tasks of its complexity (simple, medium, complex), or of all finished tasks when none of its
 *    complexity has finished yet; what it has cost so far is taken off (never below 0).
 *    Calls that name no task (the plan) were a one-off: they are in the spend, not in the forecast.
 * 4. Otherwise (no call names a finished task): the run's spend so far divided by the finished tasks,
 *    times the tasks left.
 * 5. No finished task: no estimate yet. No task left: nothing more to spend.
 *
 * The forecast total is the spend so far plus the forecast; it exceeds the cap when it is above the run's
 * USD limit.
 */
import type { LedgerEntry, LedgerEvent, Task } from '../state/index.js';

type Complexity = Task['complexity'];

const FINISHED: ReadonlySet<Task['status']> = new Set(['done', 'failed']);
const LEFT: ReadonlySet<Task['status']> = new Set(['pending', 'ready', 'in_progress', 'blocked', 'review']);

/** The estimate and what it was made from. */
export interface CostForecast {
  readonly tasksFinished: number;
  readonly tasksLeft: number;
  /** How it was estimated: per complexity from the calls that name tasks, or the spend per finished task. */
  readonly method: 'by-complexity' | 'per-task' | null;
  /** The mean cost of a finished task, by complexity and over all (`all`); empty without an estimate. */
  readonly unitUsd: Partial<Record<Complexity | 'all', number>>;
  /** USD still to spend; null before any task finished (no estimate yet). */
  readonly remainingUsd: number | null;
  /** Spent so far plus the forecast; null without an estimate. */
  readonly totalUsd: number | null;
  readonly capUsd: number | null;
  /** True when the forecast total is above the cap. */
  readonly exceedsCap: boolean;
}

/** The remaining cost of a run from its tasks, its ledger's model calls and what it has spent (see the file's doc). */
export function forecastRemainingCost(input: {
  tasks: readonly Pick<Task, 'id' | 'status' | 'complexity'>[];
  ledger: readonly LedgerEntry<LedgerEvent>[];
  spentUsd: number;
  capUsd: number | null;
}): CostForecast {
  const { tasks, spentUsd, capUsd } = input;
  const finished = tasks.filter((task) => FINISHED.has(task.status));
  const left = tasks.filter((task) => LEFT.has(task.status));
  const base = { tasksFinished: finished.length, tasksLeft: left.length, capUsd };
  if (left.length === 0) {
    return { ...base, method: null, unitUsd: {}, remainingUsd: 0, totalUsd: spentUsd, exceedsCap: capUsd !== null && spentUsd > capUsd };
  }
  if (finished.length === 0) return { ...base, method: null, unitUsd: {}, remainingUsd: null, totalUsd: null, exceedsCap: false };
  const costOf = new Map<string, number>();
  for (const entry of input.ledger) {
    if (entry.type === 'model-call' && entry.taskId !== null) costOf.set(entry.taskId, (costOf.get(entry.taskId) ?? 0) + entry.costUsd);
  }
  const cost = (task: Pick<Task, 'id'>): number => costOf.get(task.id) ?? 0;
  const finishedUsd = finished.reduce((sum, task) => sum + cost(task), 0);
  let unitUsd: CostForecast['unitUsd'];
  let remainingUsd: number;
  let method: CostForecast['method'];
  if (finishedUsd > 0) {
    method = 'by-complexity';
    unitUsd = { all: finishedUsd / finished.length };
    for (const complexity of ['simple', 'medium', 'complex'] as const) {
      const same = finished.filter((task) => task.complexity === complexity);
      if (same.length > 0) unitUsd[complexity] = same.reduce((sum, task) => sum + cost(task), 0) / same.length;
    }
    const units = unitUsd;
    remainingUsd = left.reduce((sum, task) => sum + Math.max(0, (units[task.complexity] ?? finishedUsd / finished.length) - cost(task)), 0);
  } else {
    method = 'per-task';
    unitUsd = { all: spentUsd / finished.length };
    remainingUsd = (spentUsd / finished.length) * left.length;
  }
  const totalUsd = spentUsd + remainingUsd;
  return { ...base, method, unitUsd, remainingUsd, totalUsd, exceedsCap: capUsd !== null && totalUsd > capUsd };
}
