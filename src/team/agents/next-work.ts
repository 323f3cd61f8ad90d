import { TERMINAL_RUN_STATUSES, type TeamState, type Task } from '../../state/index.js';
import { hasTaskFor } from '../tasks/scheduler.js';
import { busyFilesOf, tasksAt, type VersionIndex, versionIndex } from '../tasks/version-index.js';
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
  const index = versionIndex(state.tasks);
  const handed = tasksAt(index, index.inProgress.get(agentId)).filter((task) => !input.started.has(startKey(task)));
  if (handed.length > 0) return { kind: 'start', tasks: handed };
  const role = state.agents[agentId]?.role;
  if (state.run.status !== 'running' || role === undefined) return { kind: 'wait' };
  const candidates = readyOfRole(index, role);
  if (hasTaskFor({ state, agentId, candidates, busy: () => busyFilesOf(index) })) return { kind: 'claim' };
  return { kind: 'wait' };
}

/** The ready tasks of `role` in the version, in plan order, looked up as they are read. */
function* readyOfRole(index: VersionIndex, role: string): Generator<Task> {
  for (const place of index.ready.get(role) ?? []) yield index.tasks[place] as Task;
}
