/**
 * What every reader of one frozen version of the state looks up about its tasks
 * (the agents deciding what to do next, the coordinator looking for orphaned
 * work): places by status, assignee and role. A version is indexed once, and
 * from the version indexed before it when that one holds the same tasks in the
 * same places: a frozen task that is still the same object has not changed, so
 * only the places holding another object are looked at, and the cost follows
 * the change rather than the plan.
 */
import { changedPlaces, type Task, TERMINAL_TASK_STATUSES } from '../../state/index.js';
import { BusyFiles } from './busy-files.js';
import { lowerBound } from './sorted-list.js';

/** The index of one version's tasks; places are positions in `tasks`, in plan order. */
export interface VersionIndex {
  readonly tasks: readonly Task[];
  /** Places of the tasks in progress, by assignee. */
  readonly inProgress: ReadonlyMap<string, readonly number[]>;
  /** Places of the ready tasks, by role. */
  readonly ready: ReadonlyMap<string, readonly number[]>;
  /** How many tasks are not done, failed or cancelled, by role. */
  readonly unfinished: ReadonlyMap<string, number>;
  /** Files of the tasks that hold them, made when first needed. */
  busy: BusyFiles | undefined;
}

interface Built extends VersionIndex {
  /** True when every task was frozen when indexed: then a task still the same object is unchanged. */
  readonly frozen: boolean;
}

// Past this share of changed places, indexing afresh is as cheap.
const DERIVE_LIMIT = 0.25;

const indexes = new WeakMap<readonly Task[], Built>();
let latest: Built | undefined;

/** The index of `tasks`; kept for a frozen array (a version read from a store), made afresh for one that may still change. */
export function versionIndex(tasks: readonly Task[]): VersionIndex {
  const known = indexes.get(tasks);
  if (known !== undefined) return known;
  if (!Object.isFrozen(tasks)) return build(tasks);
  const index = (latest !== undefined ? derive(latest, tasks) : undefined) ?? build(tasks);
  indexes.set(tasks, index);
  latest = index;
  return index;
}

/** The tasks at `places` of `index`, in order. */
export function tasksAt(index: VersionIndex, places: readonly number[] | undefined): Task[] {
  return (places ?? []).map((place) => index.tasks[place] as Task);
}

/** The busy files of the version, indexed at the first call. */
export function busyFilesOf(index: VersionIndex): BusyFiles {
  index.busy ??= BusyFiles.of(index.tasks);
  return index.busy;
}

function inProgressKey(task: Task): string | undefined {
  return task.status === 'in_progress' && task.assignee !== null ? task.assignee : undefined;
}

function readyKey(task: Task): string | undefined {
  return task.status === 'ready' && inProgressKey(task) === undefined ? task.role : undefined;
}

function build(tasks: readonly Task[]): Built {
  const inProgress = new Map<string, number[]>();
  const ready = new Map<string, number[]>();
  const unfinished = new Map<string, number>();
  let frozen = true;
  tasks.forEach((task, place) => {
    frozen &&= Object.isFrozen(task);
    const assignee = inProgressKey(task);
    if (assignee !== undefined) append(inProgress, assignee, place);
    else if (task.status === 'ready') append(ready, task.role, place);
    if (!TERMINAL_TASK_STATUSES.has(task.status)) unfinished.set(task.role, (unfinished.get(task.role) ?? 0) + 1);
  });
  return { tasks, inProgress, ready, unfinished, busy: undefined, frozen };
}

/** The index of `tasks` from `before`'s, when `before` indexed frozen tasks in the same places; else undefined. */
function derive(before: Built, tasks: readonly Task[]): Built | undefined {
  if (!before.frozen || before.tasks.length !== tasks.length) return undefined;
  const limit = Math.max(16, tasks.length * DERIVE_LIMIT);
  const earlier = before.tasks;
  // A version a store assembled from the one indexed before says where they differ: no comparison of every place.
  const step = changedPlaces(tasks);
  let changed: number[] = [];
  if (step !== undefined && step.previous === earlier) changed = step.places.filter((place) => tasks[place] !== earlier[place]);
  else {
    for (let place = 0; place < tasks.length; place += 1) {
      if (tasks[place] === earlier[place]) continue;
      changed.push(place);
      if (changed.length > limit) return undefined;
    }
  }
  if (changed.length > limit) return undefined;
  const inProgress = new Lists(before.inProgress);
  const ready = new Lists(before.ready);
  const unfinished = new Map(before.unfinished);
  let frozen = true;
  for (const place of changed) {
    const old = before.tasks[place] as Task;
    const task = tasks[place] as Task;
    frozen &&= Object.isFrozen(task);
    inProgress.move(place, inProgressKey(old), inProgressKey(task));
    ready.move(place, readyKey(old), readyKey(task));
    if (!TERMINAL_TASK_STATUSES.has(old.status)) count(unfinished, old.role, -1);
    if (!TERMINAL_TASK_STATUSES.has(task.status)) count(unfinished, task.role, 1);
  }
  return { tasks, inProgress: inProgress.result(), ready: ready.result(), unfinished, busy: undefined, frozen };
}

/** Sorted lists of places by key, copied from an earlier index at the first change of each. */
class Lists {
  readonly #lists: Map<string, readonly number[]>;
  readonly #copied = new Set<string>();

  constructor(before: ReadonlyMap<string, readonly number[]>) {
    this.#lists = new Map(before);
  }

  /** Moves `place` from the list of `from` to the list of `to` (undefined: no list). */
  move(place: number, from: string | undefined, to: string | undefined): void {
    if (from === to) return;
    if (from !== undefined) {
      const list = this.#own(from);
      const at = lowerBound(list, place);
      if (list[at] === place) list.splice(at, 1);
      if (list.length === 0) this.#lists.delete(from);
    }
    if (to !== undefined) {
      const list = this.#own(to);
      const at = lowerBound(list, place);
      if (list[at] !== place) list.splice(at, 0, place);
    }
  }

  result(): ReadonlyMap<string, readonly number[]> {
    return this.#lists;
  }

  #own(key: string): number[] {
    const list = this.#lists.get(key);
    if (this.#copied.has(key) && list !== undefined) return list as number[];
    const copy = list === undefined ? [] : [...list];
    this.#lists.set(key, copy);
    this.#copied.add(key);
    return copy;
  }
}

function count(map: Map<string, number>, key: string, by: number): void {
  const value = (map.get(key) ?? 0) + by;
  if (value === 0) map.delete(key);
  else map.set(key, value);
}

function append(map: Map<string, number[]>, key: string, place: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [place]);
  else list.push(place);
}
