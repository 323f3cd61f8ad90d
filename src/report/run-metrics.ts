import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';

/** How the team did as a team: the seed 003 performance figures, from the ledger. */
export interface RunMetrics {
  totalTasks: number;
  successful: number;
  /** Failed or cancelled (a failed dependency cancels its dependents). */
  failed: number;
  /** From the first claim to the last task's end, e.g. "12m 34s". */
  parallelTime: string;
  /** The sum of every task's working time: what one agent alone would have taken, e.g. "38m 15s". */
  estimatedSequentialTime: string;
  /** estimatedSequentialTime / parallelTime, e.g. "3.04x". */
  speedup: string;
  /** e.g. "$1.2500". */
  cost: string;
  /** Gate rounds that failed a task's change. */
  gateBlocks: number;
  /** Merges undone because the tests failed after them. */
  testFailures: number;
  parallelTimeMs: number;
  estimatedSequentialTimeMs: number;
  speedupRatio: number;
  costUsd: number;
}

type Entry = LedgerEntry<LedgerEvent>;

// What ends a span of work on a task: its agent answered (done, blocked), gave it up, or the integration decided.
const WORK_ENDS = new Set<LedgerEvent['type']>(['task-review', 'task-end', 'task-release', 'blocker-raise']);
const REVIEW_ENDS = new Set<LedgerEvent['type']>(['task-merge', 'task-end', 'task-release']);

function taskIdOf(entry: Entry): string | null {
  return 'taskId' in entry && typeof entry.taskId === 'string' ? entry.taskId : null;
}

/**
 * Working time per task: every span from a claim to the agent's answer, and from
 * review (its gates, its merge and tests) to the verdict. Waiting (for
 * dependencies, a blocker's resolution, another task's files) is not work.
 */
export function taskWorkTimes(ledger: readonly Entry[]): Map<string, number> {
  const open = new Map<string, { kind: 'work' | 'review'; at: number }>();
  const totals = new Map<string, number>();
  for (const entry of ledger) {
    const taskId = taskIdOf(entry);
    if (taskId === null) continue;
    const at = Date.parse(entry.at);
    const current = open.get(taskId);
    const ends = current?.kind === 'work' ? WORK_ENDS : REVIEW_ENDS;
    if (current !== undefined && ends.has(entry.type)) {
      totals.set(taskId, (totals.get(taskId) ?? 0) + Math.max(0, at - current.at));
      open.delete(taskId);
    }
    if (entry.type === 'task-claim') open.set(taskId, { kind: 'work', at });
    else if (entry.type === 'task-review') open.set(taskId, { kind: 'review', at });
  }
  return totals;
}

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

/** The seed 003 metrics of a run, from its final state and ledger. */
export function runMetrics(state: TeamState, ledger: readonly Entry[], costUsd: number): RunMetrics {
  let firstClaim: number | null = null;
  let lastEnd: number | null = null;
  const failedRounds = new Set<string>();
  let testFailures = 0;
  for (const entry of ledger) {
    const at = Date.parse(entry.at);
    if (entry.type === 'task-claim' && firstClaim === null) firstClaim = at;
    if (entry.type === 'task-end') lastEnd = at;
    if (entry.type === 'gate-verdict' && !entry.passed) failedRounds.add(`${entry.taskId}#${entry.round}`);
    if (entry.type === 'task-merge' && entry.status === 'reverted') testFailures += 1;
  }
  const parallelTimeMs = firstClaim === null || lastEnd === null ? 0 : Math.max(0, lastEnd - firstClaim);
  let estimatedSequentialTimeMs = 0;
  for (const time of taskWorkTimes(ledger).values()) estimatedSequentialTimeMs += time;
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
  };
}
