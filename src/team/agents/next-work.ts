import { TERMINAL_RUN_STATUSES, type TeamState, type Task } from '../../state/index.js';
import { BusyFiles, hasTaskFor } from '../tasks/scheduler.js';
import type { AgentExitReason } from './agent-session.js';

/** What an agent does next, judged on a snapshot of the state. */
export type NextWork =
  | { kind: 'exit'; reason: AgentExitReason }
  /** Tasks handed to this agent (in the commit that made them ready) that it has not started. */
  | { kind: 'start'; tasks: Task[] }
  /** A task of its role looks ready: claim under the lock, which checks again. */
  | { kind: 'claim' }
  | { kind: 'wait' };

/** One assignment of a task: a release and a new claim give a new key. */
export function startKey(task: { id: string; fence: number }): string {
  return `${task.id}|${task.fence}`;
}

/**
 * Decides what the agent does next: stop when the run is over, when it was told to
 * stop (and nothing runs), or at max_iterations (once nothing runs); else start what
 * was handed to it, claim a ready task, or wait for a change.
 */
export function nextWork(input: {
  state: TeamState;
  agentId: string;
  /** Start keys of the assignments this agent already started (a stale snapshot must not start one twice). */
  started: ReadonlySet<string>;
  iterations: number;
  maxIterations: number;
  /** Attempts running or queued in this agent. */
  busy: number;
}): NextWork {
  const { state, agentId } = input;
  if (TERMINAL_RUN_STATUSES.has(state.run.status)) {
    return { kind: 'exit', reason: state.run.status === 'budget_exceeded' ? 'budget-exceeded' : 'run-finished' };
  }
  if (state.agents[agentId]?.status === 'stopped' && input.busy === 0) return { kind: 'exit', reason: 'stopped' };
  if (input.iterations >= input.maxIterations) return input.busy === 0 ? { kind: 'exit', reason: 'max-iterations' } : { kind: 'wait' };
  const index = snapshotIndex(state.tasks);
  const handed = (index.inProgress.get(agentId) ?? []).filter((task) => !input.started.has(startKey(task)));
  if (handed.length > 0) return { kind: 'start', tasks: handed };
  const role = state.agents[agentId]?.role;
  if (state.run.status !== 'running' || role === undefined) return { kind: 'wait' };
  const candidates = index.ready.get(role) ?? [];
  if (hasTaskFor({ state, agentId, candidates, busy: () => (index.busy ??= BusyFiles.of(state.tasks)) })) return { kind: 'claim' };
  return { kind: 'wait' };
}

/** What every agent waking on one version of the state looks up: its tasks by assignee and by role. */
interface SnapshotIndex {
  /** Tasks in progress by assignee, in plan order. */
  inProgress: Map<string, Task[]>;
  /** Ready tasks by role, in plan order. */
  ready: Map<string, Task[]>;
  busy: BusyFiles | undefined;
}

// A version read from the store is frozen: every agent of the process shares its index.
const indexes = new WeakMap<readonly Task[], SnapshotIndex>();

function snapshotIndex(tasks: readonly Task[]): SnapshotIndex {
  const known = indexes.get(tasks);
  if (known !== undefined) return known;
  const index: SnapshotIndex = { inProgress: new Map(), ready: new Map(), busy: undefined };
  for (const task of tasks) {
    if (task.status === 'in_progress' && task.assignee !== null) append(index.inProgress, task.assignee, task);
    else if (task.status === 'ready') append(index.ready, task.role, task);
  }
  // A state being changed (not frozen) may change after this call: it is indexed afresh each time.
  if (Object.isFrozen(tasks)) indexes.set(tasks, index);
  return index;
}

function append(map: Map<string, Task[]>, key: string, task: Task): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [task]);
  else list.push(task);
}
