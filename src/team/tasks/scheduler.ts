import type { LedgerEvent, Task, TeamState } from '../../state/index.js';
import { plainList, TERMINAL_TASK_STATUSES } from '../../state/index.js';
import { type SizedTask, sameSizedGraph, taskLevels } from '../../state/index.js';
import { BusyFiles } from './busy-files.js';
import { taskHeld } from './checkpoints.js';
import { taskById } from './task-lookup.js';
import { ReadyIndex } from './ready-index.js';
import { versionIndex } from './version-index.js';
import { lowerBound } from './sorted-list.js';

export { BusyFiles, pathsOverlap } from './busy-files.js';

type Emit = (event: LedgerEvent) => void;

// The ready index of each tracked list of tasks (a store's working copy keeps its list from one commit to the next).
const readyIndexes = new WeakMap<readonly Task[], ReadyIndex>();

/**
 * Moves pending tasks whose dependencies are all done to ready, and cancels tasks
 * whose dependencies failed or were cancelled. Repeats until nothing changes.
 */
export function refreshReadiness(state: TeamState, emit: Emit): void {
  const { tasks } = state;
  // Every task is read from the plain entries (a store's working copy notes only the tasks read through its list, see
  // plainList); a task that changes is taken from the list itself.
  const plain = plainList(tasks);
  // On a store's working copy the index says which pending tasks can change; else every one is looked at.
  const index = ReadyIndex.of({ list: tasks, levels: chainLengths, indexes: readyIndexes });
  const unsettled = index?.unsettled();
  const first = index !== undefined && unsettled !== undefined ? index.readinessPlaces(unsettled) : undefined;
  // Most commits leave no task pending: no need for the lookups below.
  if (first !== undefined ? first.length === 0 : !plain.some((task) => task.status === 'pending')) return;
  // The dependents of each task (by place in the plan): the index's, or those of the plan's graph, made when the first task changes.
  let positions: ReadonlyMap<string, readonly number[]> | undefined;
  const dependentsOf = (id: string): readonly number[] => {
    if (index !== undefined && unsettled !== undefined) return index.dependentsOf(id);
    positions ??= planGraph(plain).dependents;
    return positions.get(id) ?? [];
  };
  // Pass after pass in plan order, as long as something changes; a pass looks only at the pending tasks whose
  // dependencies changed since it last looked (the first pass: at all of them, or at those the index names).
  let pass = first ?? Array.from({ length: tasks.length }, (_, position) => position);
  for (;;) {
    let changed = false;
    const inPass = new Set(pass);
    const next = new Set<number>();
    for (let at = 0; at < pass.length; at += 1) {
      const position = pass[at] as number;
      if ((plain[position] as Task).status !== 'pending') continue;
      const dependencies = (plain[position] as Task).dependsOn.map((id) => taskById(plain, id));
      const broken = dependencies.find(
        (dependency) => dependency === undefined || dependency.status === 'failed' || dependency.status === 'cancelled',
      );
      const cancel = broken !== undefined || dependencies.some((dependency) => dependency === undefined);
      if (!cancel && !dependencies.every((dependency) => dependency?.status === 'done')) continue;
      const task = tasks[position] as Task;
      if (cancel) {
        task.status = 'cancelled';
        task.failure = `dependency ${broken?.id ?? '(missing)'} ${broken?.status ?? 'does not exist'}`;
        emit({ type: 'task-end', agentId: 'scheduler', taskId: task.id, status: 'cancelled', detail: task.failure });
      } else {
        task.status = 'ready';
        emit({ type: 'task-ready', taskId: task.id });
      }
      changed = true;
      // Its dependents further on are looked at in this pass, those before it in the next one.
      for (const dependent of dependentsOf(task.id)) {
        if (dependent <= position) next.add(dependent);
        else if (!inPass.has(dependent)) {
          inPass.add(dependent);
          pass.splice(lowerBound(pass, dependent, at + 1), 0, dependent);
        }
      }
    }
    if (!changed) return;
    pass = [...next].sort((a, b) => a - b);
  }
}

/** True when every task has reached done, failed or cancelled. */
export function allTasksFinished(state: TeamState): boolean {
  if (state.tasks.length === 0) return false;
  // A version read from the store is indexed once, from the version before it: no scan of every task per look.
  if (Object.isFrozen(state.tasks)) return versionIndex(state.tasks).unfinished.size === 0;
  return plainList(state.tasks).every((task) => TERMINAL_TASK_STATUSES.has(task.status));
}

/**
 * The task in progress (or, in a workspace run, in review: changed but not yet merged)
 * whose declared files overlap this task's, and the shared paths, if any. Pass `busy`
 * (kept up to date by the caller) when checking many tasks of one state.
 */
export function fileConflict(
  state: TeamState,
  task: Task,
  busy: BusyFiles = BusyFiles.of(state.tasks),
): { taskId: string; files: string[] } | undefined {
  return busy.conflict(task);
}

/** What the scheduler derives from a plan's graph (ids, sizes, dependencies, in order): every version of the state shares it. */
interface PlanGraph {
  readonly graph: readonly SizedTask[];
  /** Places in the plan of the tasks that depend on each id, in plan order. */
  readonly dependents: ReadonlyMap<string, readonly number[]>;
  levels: ReadonlyMap<string, number> | undefined;
}

// The last graph seen: kept until a task is added or its dependencies or size change.
let lastGraph: PlanGraph | undefined;

// The graph of each frozen version (a version read from a store cannot change): checked once per version.
const frozenGraphs = new WeakMap<readonly Task[], PlanGraph>();

/** The graph of `tasks`: the last one when they still have its ids, sizes and dependencies. */
function planGraph(tasks: readonly Task[]): PlanGraph {
  const frozen = Object.isFrozen(tasks);
  const known = frozen ? frozenGraphs.get(tasks) : undefined;
  if (known !== undefined) return known;
  const graph = lastGraph !== undefined && sameSizedGraph(tasks, lastGraph.graph) ? lastGraph : newGraph(tasks);
  if (frozen) frozenGraphs.set(tasks, graph);
  return graph;
}

function newGraph(tasks: readonly Task[]): PlanGraph {
  const dependents = new Map<string, number[]>();
  tasks.forEach((task, position) => {
    for (const id of task.dependsOn) {
      const list = dependents.get(id);
      if (list === undefined) dependents.set(id, [position]);
      else list.push(position);
    }
  });
  const graph = tasks.map((task) => ({ id: task.id, complexity: task.complexity, dependsOn: [...task.dependsOn] }));
  lastGraph = { graph, dependents, levels: undefined };
  return lastGraph;
}

/** Each task's priority (see taskLevels), kept while the plan's graph stays the same; plan order breaks ties. */
export function chainLengths(list: readonly Task[]): ReadonlyMap<string, number> {
  const tasks = plainList(list);
  const graph = planGraph(tasks);
  graph.levels ??= taskLevels(tasks);
  return graph.levels;
}

/**
 * What one update that hands out several tasks looks up once: the files in use,
 * the tasks ready at its start by role (in plan order; apart, those that declare
 * files, the only ones that can wait for another), the chain lengths. The update
 * keeps it current: a task it hands out joins `busy` (its status leaves it out of
 * the ready lists); a task made ready meanwhile is not in them. On a store's
 * working copy the ready tasks come from its ReadyIndex instead, looked up as
 * they are now at each use.
 */
export interface TaskScope {
  readonly busy: BusyFiles;
  /** Each ready task's conflict with `busy` as it was (by size) when checked: the agents of a role check the same tasks. */
  readonly conflicts: Map<Task, { size: number; files: readonly string[]; conflict: ReturnType<BusyFiles['conflict']> }>;
  readonly readyByRole: ReadonlyMap<string, readonly Task[]>;
  readonly readyWithFilesByRole: ReadonlyMap<string, readonly Task[]>;
  levels: ReadonlyMap<string, number> | undefined;
  /** The index of a tracked list of tasks (no ready lists then). */
  readonly index?: ReadyIndex | undefined;
}

/** The scope of an update that hands out tasks, from the state as it is now. */
export function taskScope(state: TeamState): TaskScope {
  const index = ReadyIndex.of({ list: state.tasks, levels: chainLengths, indexes: readyIndexes });
  const unsettled = index?.unsettled();
  if (index !== undefined && unsettled !== undefined) {
    const none = new Map<string, Task[]>();
    return {
      busy: BusyFiles.at(index.holding(unsettled)),
      conflicts: new Map(),
      readyByRole: none,
      readyWithFilesByRole: none,
      levels: undefined,
      index,
    };
  }
  const readyByRole = new Map<string, Task[]>();
  const readyWithFilesByRole = new Map<string, Task[]>();
  // Read from the plain entries (see plainList): the task an update hands out is taken from the list when it changes.
  const tasks = plainList(state.tasks);
  for (const task of tasks) {
    if (task.status !== 'ready') continue;
    append(readyByRole, task.role, task);
    if (task.files.length > 0) append(readyWithFilesByRole, task.role, task);
  }
  return { busy: BusyFiles.of(tasks), conflicts: new Map(), readyByRole, readyWithFilesByRole, levels: undefined };
}

/** The ready tasks of `role` that declare files, as the scope sees them now (plan order). */
export function readyWithFiles(state: TeamState, scope: TaskScope, role: string): readonly Task[] {
  if (scope.index === undefined) return scope.readyWithFilesByRole.get(role) ?? [];
  const unsettled = scope.index.unsettled();
  if (unsettled !== undefined) return scope.index.readyWithFiles(role, unsettled);
  return plainList(state.tasks).filter((task) => task.status === 'ready' && task.role === role && task.files.length > 0);
}

/**
 * The ready tasks of `role` that may wait for a busy task (plan order): on a store's working copy, those whose files
 * overlap the scope's busy paths, found from those paths; else every ready task of `role` that declares files.
 */
export function mayWaitForFiles(state: TeamState, scope: TaskScope, role: string): readonly Task[] {
  const unsettled = scope.index?.unsettled();
  if (scope.index !== undefined && unsettled !== undefined) return scope.index.readyOverlapping(role, scope.busy, unsettled);
  return readyWithFiles(state, scope, role);
}

/**
 * `scope.busy.conflict(task)`, remembered for the scope: within one update that hands out tasks, the busy
 * tasks only grow (by `assignTask`), so a result holds while `busy` has the same size and the task the same files.
 */
export function scopeConflict(scope: TaskScope, task: Task): ReturnType<BusyFiles['conflict']> {
  const known = scope.conflicts.get(task);
  if (
    known !== undefined &&
    known.size === scope.busy.size &&
    known.files.length === task.files.length &&
    known.files.every((file, index) => file === task.files[index])
  ) {
    return known.conflict;
  }
  const conflict = scope.busy.conflict(task);
  scope.conflicts.set(task, { size: scope.busy.size, files: [...task.files], conflict });
  return conflict;
}

function append(map: Map<string, Task[]>, key: string, task: Task): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [task]);
  else list.push(task);
}

/** Why an agent may take a ready task of its role: "own" (handed back to it), "free" (anyone's), or undefined (not now). */
function takeable(
  state: TeamState,
  agentId: string,
  task: Task,
  conflict: (task: Task) => ReturnType<BusyFiles['conflict']>,
): 'own' | 'free' | undefined {
  // A manual run's checkpoint keeps the task from starting until a person approves it.
  if (taskHeld(state, task)) return undefined;
  if (task.files.length > 0 && conflict(task) !== undefined) return undefined;
  if (task.assignee === agentId) return 'own';
  // A task whose assignee stopped (silent, out of iterations or budget) is anyone's.
  const free = task.assignee === null || state.agents[task.assignee]?.status === 'stopped';
  return free ? 'free' : undefined;
}

/** The agent if it can take another task now (live, with room), else undefined. */
function agentWithRoom(state: TeamState, agentId: string): TeamState['agents'][string] | undefined {
  const agent = state.agents[agentId];
  if (agent === undefined || agent.status === 'stopped') return undefined;
  if (agent.activeTasks.length >= agent.maxConcurrentTasks) return undefined;
  return agent;
}

/**
 * The task an agent should take next, or undefined: its own resumed work first,
 * then the ready task heading the longest chain of remaining work (plan order on
 * ties). A task whose files overlap a task in progress waits for it.
 */
export function nextTaskFor(state: TeamState, agentId: string, scope?: TaskScope): Task | undefined {
  const agent = agentWithRoom(state, agentId);
  if (agent === undefined) return undefined;
  let files: BusyFiles | undefined;
  const conflict = (task: Task): ReturnType<BusyFiles['conflict']> => {
    if (scope !== undefined) return scopeConflict(scope, task);
    files ??= BusyFiles.of(plainList(state.tasks));
    return files.conflict(task);
  };
  // Candidates are read from the plain entries (see plainList); the one returned is taken from the list, as its caller changes it.
  const chosen = (task: Task): Task => taskById(state.tasks, task.id) ?? task;
  const unsettled = scope?.index?.unsettled();
  if (scope?.index !== undefined && unsettled !== undefined) {
    // Its own resumed work first (plan order), then the first it may take in the order of the longest chains.
    for (const task of scope.index.ownedReady(agentId, unsettled)) {
      if (task.role === agent.role && takeable(state, agentId, task, conflict) === 'own') return chosen(task);
    }
    for (const task of scope.index.readyInOrder(agent.role, unsettled)) {
      if (task.assignee !== agentId && takeable(state, agentId, task, conflict) === 'free') return chosen(task);
    }
    return undefined;
  }
  let best: Task | undefined;
  let bestLevel = -1;
  let levels = scope?.levels;
  const candidates =
    scope === undefined || scope.index !== undefined ? readyOf(state, agent.role) : (scope.readyByRole.get(agent.role) ?? []);
  for (const task of candidates) {
    if (task.status !== 'ready' || task.role !== agent.role) continue;
    if (task.assignee !== agentId) {
      // Not its own: it can only be taken as the head of a longer chain than the best so far, so look no further otherwise.
      levels ??= chainLengths(state.tasks);
      if (scope !== undefined) scope.levels = levels;
      const level = levels.get(task.id) ?? 0;
      if (level <= bestLevel || takeable(state, agentId, task, conflict) === undefined) continue;
      best = task;
      bestLevel = level;
      continue;
    }
    if (takeable(state, agentId, task, conflict) === 'own') return chosen(task);
  }
  return best === undefined ? undefined : chosen(best);
}

/** The ready tasks of `role`, in plan order, read from the plain entries. */
function readyOf(state: TeamState, role: string): Task[] {
  return plainList(state.tasks).filter((task) => task.status === 'ready' && task.role === role);
}

/**
 * True when `nextTaskFor` would give the agent a task, judged only on `candidates`
 * (the ready tasks of its role, from an index of the state) and without ranking them.
 */
export function hasTaskFor(input: { state: TeamState; agentId: string; candidates: Iterable<Task>; busy: () => BusyFiles }): boolean {
  const agent = agentWithRoom(input.state, input.agentId);
  if (agent === undefined) return false;
  for (const task of input.candidates) {
    if (
      task.status === 'ready' &&
      task.role === agent.role &&
      takeable(input.state, input.agentId, task, (one) => input.busy().conflict(one)) !== undefined
    )
      return true;
  }
  return false;
}

/** Ready tasks of a role that no live agent of that role can take. */
export function orphanedTasks(state: TeamState): Task[] {
  const liveRoles = new Set(
    Object.values(state.agents)
      .filter((agent) => agent.status !== 'stopped')
      .map((agent) => agent.role),
  );
  const { tasks } = state;
  // A version read from a store is frozen and indexed once: when every role with unfinished work has a live agent, none is orphaned.
  if (Object.isFrozen(tasks) && [...versionIndex(tasks).unfinished.keys()].every((role) => liveRoles.has(role))) return [];
  return tasks.filter((task) => !TERMINAL_TASK_STATUSES.has(task.status) && !liveRoles.has(task.role));
}
