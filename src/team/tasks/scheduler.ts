import type { LedgerEvent, Task, TeamState } from '../../state/index.js';
import { TERMINAL_TASK_STATUSES } from '../../state/index.js';
import { longestChains } from '../../state/index.js';

type Emit = (event: LedgerEvent) => void;

/**
 * Moves pending tasks whose dependencies are all done to ready, and cancels tasks
 * whose dependencies failed or were cancelled. Repeats until nothing changes.
 */
export function refreshReadiness(state: TeamState, emit: Emit): void {
  const byId = new Map(state.tasks.map((task) => [task.id, task]));
  let changed = true;
  while (changed) {
    changed = false;
    for (const task of state.tasks) {
      if (task.status !== 'pending') continue;
      const dependencies = task.dependsOn.map((id) => byId.get(id));
      const broken = dependencies.find(
        (dependency) => dependency === undefined || dependency.status === 'failed' || dependency.status === 'cancelled',
      );
      if (broken !== undefined || dependencies.some((d) => d === undefined)) {
        task.status = 'cancelled';
        task.failure = `dependency ${broken?.id ?? '(missing)'} ${broken?.status ?? 'does not exist'}`;
        emit({ type: 'task-end', agentId: 'scheduler', taskId: task.id, status: 'cancelled', detail: task.failure });
        changed = true;
      } else if (dependencies.every((dependency) => dependency?.status === 'done')) {
        task.status = 'ready';
        emit({ type: 'task-ready', taskId: task.id });
        changed = true;
      }
    }
  }
}

/** True when every task has reached done, failed or cancelled. */
export function allTasksFinished(state: TeamState): boolean {
  return state.tasks.length > 0 && state.tasks.every((task) => TERMINAL_TASK_STATUSES.has(task.status));
}

/** True when two declared paths can touch the same file (equal, or one is a folder holding the other). */
export function pathsOverlap(a: string, b: string): boolean {
  const clean = (path: string): string => path.replace(/^\.\//, '').replace(/\/+$/, '');
  const x = clean(a);
  const y = clean(b);
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/**
 * The task in progress (or, in a workspace run, in review: changed but not yet merged)
 * whose declared files overlap this task's, and the shared paths, if any.
 */
export function fileConflict(state: TeamState, task: Task): { taskId: string; files: string[] } | undefined {
  for (const other of state.tasks) {
    if ((other.status !== 'in_progress' && other.status !== 'review') || other.id === task.id) continue;
    const files = task.files.filter((file) => other.files.some((theirs) => pathsOverlap(file, theirs)));
    if (files.length > 0) return { taskId: other.id, files };
  }
  return undefined;
}

// Relative size of a task, for the length of the work that waits on it.
const WEIGHT = { simple: 1, medium: 2, complex: 3 } as const;
const priorities = new WeakMap<readonly Task[], { count: number; levels: Map<string, number> }>();

/**
 * Each task's priority: the longest chain of work from it to the end of the plan
 * (itself included, weighted by complexity). Starting the longest chains first
 * is what lets the rest run in parallel; plan order breaks ties.
 */
export function chainLengths(tasks: readonly Task[]): Map<string, number> {
  const cached = priorities.get(tasks);
  if (cached?.count === tasks.length) return cached.levels;
  const levels = longestChains(tasks, (task) => WEIGHT[task.complexity]);
  priorities.set(tasks, { count: tasks.length, levels });
  return levels;
}

/**
 * The task an agent should take next, or undefined: its own resumed work first,
 * then the ready task heading the longest chain of remaining work (plan order on
 * ties). A task whose files overlap a task in progress waits for it.
 */
export function nextTaskFor(state: TeamState, agentId: string): Task | undefined {
  const agent = state.agents[agentId];
  if (agent === undefined || agent.status === 'stopped') return undefined;
  if (agent.activeTasks.length >= agent.maxConcurrentTasks) return undefined;
  let best: Task | undefined;
  let bestLevel = -1;
  let levels: Map<string, number> | undefined;
  for (const task of state.tasks) {
    if (task.status !== 'ready' || task.role !== agent.role) continue;
    if (task.files.length > 0 && fileConflict(state, task) !== undefined) continue;
    if (task.assignee === agentId) return task;
    // A task whose assignee stopped (silent, out of iterations or budget) is anyone's.
    const free = task.assignee === null || state.agents[task.assignee]?.status === 'stopped';
    if (!free) continue;
    levels ??= chainLengths(state.tasks);
    const level = levels.get(task.id) ?? 0;
    if (level > bestLevel) {
      best = task;
      bestLevel = level;
    }
  }
  return best;
}

/** Ready tasks of a role that no live agent of that role can take. */
export function orphanedTasks(state: TeamState): Task[] {
  const liveRoles = new Set(
    Object.values(state.agents)
      .filter((agent) => agent.status !== 'stopped')
      .map((agent) => agent.role),
  );
  return state.tasks.filter((task) => !TERMINAL_TASK_STATUSES.has(task.status) && !liveRoles.has(task.role));
}
