import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';
import { type ModelSchedule, replayModelSchedule } from './model-schedule.js';

/**
 * How the team did as a team: the seed 003 performance figures, from the ledger.
 *
 * Every time here is model time: the `latencyMs` of the ledger's `model-call`
 * events (simulated by the sim, so the same for a seed on any machine and at any
 * time scale; measured around the call for real providers), never the wall clock.
 * Git, gates' diffs, merges, tests and waiting on locks take no time on this clock,
 * and neither does a pause between an interrupt and `run --resume`.
 */
export interface RunMetrics {
  totalTasks: number;
  successful: number;
  /** Failed or cancelled (a failed dependency cancels its dependents). */
  failed: number;
  /** parallelTimeMs formatted, e.g. "12m 34s". */
  parallelTime: string;
  /** estimatedSequentialTimeMs formatted, e.g. "38m 15s". */
  estimatedSequentialTime: string;
  /** speedupRatio formatted, e.g. "3.04x". */
  speedup: string;
  /** e.g. "$1.2500". */
  cost: string;
  /** Gate rounds that failed a task's change. */
  gateBlocks: number;
  /** Merges undone because the tests failed after them. */
  testFailures: number;
  /**
   * The run replayed on a virtual clock of model time (makespan): planning first; then
   * each agent is a lane with max_concurrent_tasks slots taking its claims in the order
   * it made them; an attempt starts when its slot is free, the task's dependencies have
   * finished, the blocker it raised before is resolved and the task whose files it waited
   * for has let go of them, and lasts its agent's model calls on it. A blocker waits for
   * the manager's resolve calls (on the manager's lane); in a workspace run a change's
   * gates run at once after it is reported (the round lasts its longest call, plus its
   * longest repair); the integration summary comes last. A function of the plan, the
   * dependency graph, the roster, the recorded model times and each agent's claim order.
   */
  parallelTimeMs: number;
  /**
   * What one agent alone would have taken: the sum of every model call of the run.
   * Manager calls count (planning, blocker resolutions, gates, the integration summary):
   * the work needs them whoever does it, and parallel time includes them as well.
   */
  estimatedSequentialTimeMs: number;
  /** estimatedSequentialTimeMs / parallelTimeMs; 0 when nothing took model time. */
  speedupRatio: number;
  costUsd: number;
  /** What the times are: model time the sim drew, model time measured on real calls, or both in one run. */
  timeBasis: 'simulated model time' | 'measured model time' | 'mixed model time';
}

type Entry = LedgerEntry<LedgerEvent>;

/** Milliseconds as "1h 02m 03s", "12m 34s" or "4.2s". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (value: number): string => String(value).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s)}s` : `${m}m ${pad(s)}s`;
}

function timeBasisOf(schedule: ModelSchedule, simulatedRun: boolean): RunMetrics['timeBasis'] {
  if (schedule.simulatedCalls > 0 && schedule.measuredCalls > 0) return 'mixed model time';
  if (schedule.simulatedCalls > 0) return 'simulated model time';
  if (schedule.measuredCalls > 0) return 'measured model time';
  return simulatedRun ? 'simulated model time' : 'measured model time';
}

/** The seed 003 metrics of a run, from its final state (plan, dependencies, roster) and its ledger. */
export function runMetrics(state: TeamState, ledger: readonly Entry[], costUsd: number): RunMetrics {
  const failedRounds = new Set<string>();
  let testFailures = 0;
  for (const entry of ledger) {
    if (entry.type === 'gate-verdict' && !entry.passed) failedRounds.add(`${entry.taskId}#${entry.round}`);
    if (entry.type === 'task-merge' && entry.status === 'reverted') testFailures += 1;
  }
  const schedule = replayModelSchedule({
    ledger,
    dependencies: new Map(state.tasks.map((task) => [task.id, task.dependsOn])),
    capacities: new Map(Object.values(state.agents).map((agent) => [agent.id, agent.maxConcurrentTasks])),
  });
  const parallelTimeMs = schedule.makespanMs;
  const estimatedSequentialTimeMs = schedule.modelMs;
  const speedupRatio = parallelTimeMs === 0 ? 0 : estimatedSequentialTimeMs / parallelTimeMs;
  return {
    totalTasks: state.tasks.length,
    successful: state.tasks.filter((task) => task.status === 'done').length,
    failed: state.tasks.filter((task) => task.status === 'failed' || task.status === 'cancelled').length,
    parallelTime: formatDuration(parallelTimeMs),
    estimatedSequentialTime: formatDuration(estimatedSequentialTimeMs),
    speedup: `${speedupRatio.toFixed(2)}x`,
    cost: `$${costUsd.toFixed(4)}`,
    gateBlocks: failedRounds.size,
    testFailures,
    parallelTimeMs,
    estimatedSequentialTimeMs,
    speedupRatio,
    costUsd,
    timeBasis: timeBasisOf(schedule, state.run.simulated),
  };
}
