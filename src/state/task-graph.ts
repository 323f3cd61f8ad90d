/** Walks of the task graph: cycles, the longest chains of work, dependency order. */
/** The first dependency cycle found, as a path that ends where it starts, or null. */
export function findCycle(tasks: readonly { id: string; dependsOn: readonly string[] }[]): string[] | null {
  const edges = new Map(tasks.map((task) => [task.id, task.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      const found = visit(next);
      if (found !== null) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const task of tasks) {
    const found = visit(task.id);
    if (found !== null) return found;
  }
  return null;
}

/** A task as the graph functions see it. */
export interface GraphTask {
  id: string;
  dependsOn: readonly string[];
}

/** Per task id, the tasks that depend on it, each once, in the order of `tasks`. */
export function dependentsOf<T extends GraphTask>(tasks: readonly T[]): Map<string, T[]> {
  const dependents = new Map<string, T[]>();
  for (const task of tasks) {
    for (const id of new Set(task.dependsOn)) {
      const list = dependents.get(id);
      if (list === undefined) dependents.set(id, [task]);
      else list.push(task);
    }
  }
  return dependents;
}

/**
 * For each task, the longest chain of work from it to the end of the plan, itself
 * included, with each task weighing `weight(task)`. The largest is the critical path.
 * Plans are checked for cycles; a cycle met here only ends the chain.
 */
export function longestChains<T extends GraphTask>(tasks: readonly T[], weight: (task: T) => number): Map<string, number> {
  const dependents = dependentsOf(tasks);
  const lengths = new Map<string, number>();
  const visiting = new Set<string>();
  const length = (task: T): number => {
    const known = lengths.get(task.id);
    if (known !== undefined) return known;
    if (visiting.has(task.id)) return 0;
    visiting.add(task.id);
    const after = Math.max(0, ...(dependents.get(task.id) ?? []).map(length));
    visiting.delete(task.id);
    const value = weight(task) + after;
    lengths.set(task.id, value);
    return value;
  };
  for (const task of tasks) length(task);
  return lengths;
}

/** How much work a task of each size is, for the chain lengths that order ready tasks. */
export const TASK_WEIGHT = { simple: 1, medium: 2, complex: 3 } as const;

/**
 * Each task's priority: the longest chain of work from it to the end of the plan (itself included,
 * weighted by size). Starting the longest chains first is what lets the rest run in parallel.
 */
export function taskLevels<T extends GraphTask & { complexity: keyof typeof TASK_WEIGHT }>(
  tasks: readonly T[],
): ReadonlyMap<string, number> {
  const known = lastLevels.find((entry) => sameSizedGraph(tasks, entry.graph));
  if (known !== undefined) return known.levels;
  const levels = longestChains(tasks, (task) => TASK_WEIGHT[task.complexity]);
  lastLevels = [
    { graph: tasks.map(({ id, complexity, dependsOn }) => ({ id, complexity, dependsOn: [...dependsOn] })), levels },
    ...lastLevels,
  ];
  lastLevels.length = Math.min(lastLevels.length, LEVELS_KEPT);
  return levels;
}

/** A task's place in the graph the levels depend on: its id, size and dependencies. */
export interface SizedTask {
  readonly id: string;
  readonly complexity: string;
  readonly dependsOn: readonly string[];
}

// The levels of the last graphs asked about: the scheduler and the PostgreSQL store ask about the same plan on every
// change of it (the store about the graph before the change and after it), and its versions in between (a task's
// status changed, not its graph) need no new walk of the plan.
let lastLevels: { graph: readonly SizedTask[]; levels: ReadonlyMap<string, number> }[] = [];
const LEVELS_KEPT = 2;

/** True when `tasks` have the ids, sizes and dependencies of `graph`, in order. */
export function sameSizedGraph(tasks: readonly SizedTask[], graph: readonly SizedTask[]): boolean {
  if (tasks.length !== graph.length) return false;
  for (let index = 0; index < tasks.length; index += 1) {
    const task = tasks[index] as SizedTask;
    const known = graph[index] as SizedTask;
    if (task.id !== known.id || task.complexity !== known.complexity || task.dependsOn.length !== known.dependsOn.length) return false;
    for (let position = 0; position < task.dependsOn.length; position += 1) {
      if (task.dependsOn[position] !== known.dependsOn[position]) return false;
    }
  }
  return true;
}

/** The tasks in their given order, except that every task comes after the tasks it depends on. */
export function dependencyOrder<T extends GraphTask>(tasks: readonly T[]): T[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const placed = new Set<string>();
  const ordered: T[] = [];
  const place = (task: T, path: Set<string>): void => {
    if (placed.has(task.id) || path.has(task.id)) return;
    path.add(task.id);
    for (const id of task.dependsOn) {
      const dependency = byId.get(id);
      if (dependency !== undefined) place(dependency, path);
    }
    placed.add(task.id);
    ordered.push(task);
  };
  for (const task of tasks) place(task, new Set());
  return ordered;
}
