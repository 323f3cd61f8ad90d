import { TERMINAL_RUN_STATUSES, type TeamState, type Task } from '../../state/index.js';
import { hasTaskFor } from '../tasks/scheduler.js';
import { busyFilesOf, tasksAt, type VersionIndex, versionIndex } from '../tasks/version-index.js';
import type { AgentExitReason } from './agent-session.js';

/**
 * What an agent does next, judged on a snapshot of the state. 'start': tasks handed to this agent (in the commit
 * that made them ready) that it has not started; 'claim': a task of its role looks ready (claim under the lock,
 * which checks again).
 */
export type NextWork = NextStep<Task>;

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
  const agent = state.agents[agentId];
  let index: VersionIndex | undefined;
  const indexed = (): VersionIndex => {
    index ??= versionIndex(state.tasks);
    return index;
  };
  return decideNext({
    ...input,
    runStatus: state.run.status,
    agentStatus: agent?.status,
    held: () => tasksAt(indexed(), indexed().inProgress.get(agentId)),
    keyOf: startKey,
    // A task of its role looks ready: claim under the lock, which checks again.
    claimable: () =>
      agent !== undefined &&
      hasTaskFor({ state, agentId, candidates: readyOfRole(indexed(), agent.role), busy: () => busyFilesOf(indexed()) }),
  });
}

/** What an agent does next, on what it knows of the run: its status, its own, the tasks it holds. */
export type NextStep<T> = { kind: 'exit'; reason: AgentExitReason } | { kind: 'start'; tasks: T[] } | { kind: 'claim' } | { kind: 'wait' };

/**
 * The decision of nextWork on what it needs of the run, wherever that was read from (a version of the state, or
 * a store's transitions): `held` the tasks in progress the agent holds, `claimable` whether a claim is worth making.
 */
export function decideNext<T>(input: {
  runStatus: TeamState['run']['status'];
  agentStatus: TeamState['agents'][string]['status'] | undefined;
  held: () => readonly T[];
  /** The assignment a held entry is (see startKey). */
  keyOf: (held: T) => string;
  claimable: () => boolean;
  started: ReadonlySet<string>;
  iterations: number;
  maxIterations: number;
  busy: number;
}): NextStep<T> {
  if (TERMINAL_RUN_STATUSES.has(input.runStatus)) {
    return { kind: 'exit', reason: input.runStatus === 'budget_exceeded' ? 'budget-exceeded' : 'run-finished' };
  }
  if (input.agentStatus === 'stopped' && input.busy === 0) return { kind: 'exit', reason: 'stopped' };
  if (input.iterations >= input.maxIterations) return input.busy === 0 ? { kind: 'exit', reason: 'max-iterations' } : { kind: 'wait' };
  const handed = input.held().filter((held) => !input.started.has(input.keyOf(held)));
  if (handed.length > 0) return { kind: 'start', tasks: handed };
  if (input.runStatus !== 'running' || input.agentStatus === undefined) return { kind: 'wait' };
  return input.claimable() ? { kind: 'claim' } : { kind: 'wait' };
}

/** The ready tasks of `role` in the version, in plan order, looked up as they are read. */
function* readyOfRole(index: VersionIndex, role: string): Generator<Task> {
  for (const place of index.ready.get(role) ?? []) yield index.tasks[place] as Task;
}
