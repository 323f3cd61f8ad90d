/**
 * The ready tasks of a store's working copy by role, in the order an agent takes them (the head of
 * the longest chain of work first, plan order on ties), the ready ones handed back to an agent, the
 * places holding files, and the pending tasks whose dependencies are all settled (which the next
 * readiness pass changes): what a claim and a report look up, kept by what changed instead of a scan
 * of the plan per transition. The index follows the places the store settled since it last looked (see
 * settledSince) and reads again, at each look, the places the update running now reached (see
 * unsettledPlaces): every other task is the one it indexed. Only a tracked list (a PostgresStore's
 * working copy) can be followed so; for any other list, and when the plan's graph changed (a task
 * added, its dependencies or size changed), there is no index and the caller scans.
 */
import { plainList, settledSince, type Task, unsettledPlaces } from '../../state/index.js';
import { type BusyFiles, type DeclaredPaths, folders, holdsFiles, pathsOf } from './busy-files.js';
import { taskById } from './task-lookup.js';

/** What the index knows of one place. */
interface Place {
  readonly role: string;
  readonly ready: boolean;
  readonly assignee: string | null;
  readonly files: boolean;
  /** The task's declared files, cleaned, and the folders holding each (as entered under them). */
  readonly paths: DeclaredPaths;
  readonly holds: boolean;
  /** The task's id, size and dependencies: the graph the levels were computed on. */
  readonly graph: string;
}

const graphKey = (task: Task): string => `${task.id}\u0000${task.complexity}\u0000${task.dependsOn.join('\u0000')}`;

function placeOf(task: Task): Place {
  return {
    role: task.role,
    ready: task.status === 'ready',
    assignee: task.assignee,
    files: task.files.length > 0,
    paths: pathsOf(task.files),
    holds: holdsFiles(task),
    graph: graphKey(task),
  };
}

/** The first index of `list` at which `place` goes, by `before`. */
function insertAt(list: readonly number[], place: number, before: (a: number, b: number) => boolean): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(list[middle] as number, place)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Sorted lists of places by key. */
class SortedLists {
  readonly #lists = new Map<string, number[]>();
  readonly #before: (a: number, b: number) => boolean;

  constructor(before: (a: number, b: number) => boolean) {
    this.#before = before;
  }

  add(key: string, place: number): void {
    let list = this.#lists.get(key);
    if (list === undefined) {
      list = [];
      this.#lists.set(key, list);
    }
    list.splice(insertAt(list, place, this.#before), 0, place);
  }

  remove(key: string, place: number): void {
    const list = this.#lists.get(key);
    if (list === undefined) return;
    const at = insertAt(list, place, this.#before);
    if (list[at] === place) list.splice(at, 1);
  }

  get(key: string): readonly number[] {
    return this.#lists.get(key) ?? [];
  }
}

/** The index of one tracked list of tasks; see the file comment. */
export class ReadyIndex {
  readonly #list: readonly Task[];
  readonly #levels: readonly number[];
  readonly #places: Place[];
  readonly #byRole: SortedLists;
  readonly #owned = new SortedLists((a, b) => a < b);
  readonly #withFiles = new SortedLists((a, b) => a < b);
  readonly #holding = new Set<number>();
  /** Places of the ready tasks that declare files, by each cleaned path they declare… */
  readonly #readyPaths = new Map<string, Set<number>>();
  /** …and by each folder holding one of those paths. */
  readonly #readyInside = new Map<string, Set<number>>();
  /** Places of pending tasks a readiness pass would change: a dependency missing, failed or cancelled, or all done. */
  readonly #settledPending = new Set<number>();
  /** Places of the tasks that depend on each id. */
  readonly #dependents = new Map<string, number[]>();
  #cursor: number;

  private constructor(list: readonly Task[], levels: ReadonlyMap<string, number>, cursor: number) {
    this.#list = list;
    const tasks = plainList(list);
    this.#levels = tasks.map((task) => levels.get(task.id) ?? 0);
    this.#byRole = new SortedLists((a, b) => this.#ahead(a, b));
    this.#places = tasks.map(placeOf);
    this.#places.forEach((place, index) => {
      this.#enter(place, index);
    });
    tasks.forEach((task, index) => {
      for (const id of task.dependsOn) {
        const list = this.#dependents.get(id);
        if (list === undefined) this.#dependents.set(id, [index]);
        else list.push(index);
      }
      this.#judgePending(tasks, index);
    });
    this.#cursor = cursor;
  }

  /**
   * The places a readiness pass has to look at, in plan order: the pending tasks the index knows to be
   * settled, and, of the places the running update reached, those pending and the pending tasks that
   * depend on them. Any other pending task waits for a dependency that is not done, as it did.
   */
  readinessPlaces(unsettled: ReadonlyMap<number, Place>): number[] {
    const tasks = plainList(this.#list);
    const places = new Set<number>();
    for (const index of this.#settledPending) if (!unsettled.has(index)) places.add(index);
    for (const index of unsettled.keys()) {
      const task = tasks[index] as Task;
      if (task.status === 'pending') places.add(index);
      for (const dependent of this.#dependents.get(task.id) ?? [])
        if ((tasks[dependent] as Task).status === 'pending') places.add(dependent);
    }
    return [...places].sort((a, b) => a - b);
  }

  /**
   * The index of `list`, brought up to date: kept in `indexes` and followed by what the store settled.
   * Undefined when the list is not tracked, or the graph the levels were computed on changed.
   */
  static of(input: {
    list: readonly Task[];
    levels: (tasks: readonly Task[]) => ReadonlyMap<string, number>;
    indexes: WeakMap<readonly Task[], ReadyIndex>;
  }): ReadyIndex | undefined {
    const { list } = input;
    const known = input.indexes.get(list);
    if (known?.follow() === true) return known;
    const start = settledSince(list, 0);
    if (start === undefined) return undefined;
    const index = new ReadyIndex(list, input.levels(plainList(list)), start.cursor);
    input.indexes.set(list, index);
    return index;
  }

  /** The places the update running now may have changed, as they are now; undefined when one of them changed the graph. */
  unsettled(): Map<number, Place> | undefined {
    const places = unsettledPlaces(this.#list);
    if (places === undefined) return undefined;
    const tasks = plainList(this.#list);
    const current = new Map<number, Place>();
    for (const index of places) {
      const task = tasks[index];
      const known = this.#places[index];
      if (task === undefined || known === undefined) return undefined;
      const place = placeOf(task);
      if (place.graph !== known.graph) return undefined;
      current.set(index, place);
    }
    return current;
  }

  /** The places of the tasks that depend on `id`, in plan order. */
  dependentsOf(id: string): readonly number[] {
    return this.#dependents.get(id) ?? [];
  }

  /** The ready tasks of `role` in the order an agent takes them: the longest chain first, plan order on ties. */
  *readyInOrder(role: string, unsettled: ReadonlyMap<number, Place>): Generator<Task> {
    const tasks = plainList(this.#list);
    const extra = [...unsettled]
      .filter(([, place]) => place.ready && place.role === role)
      .map(([index]) => index)
      .sort((a, b) => (this.#ahead(a, b) ? -1 : 1));
    let next = 0;
    for (const index of this.#byRole.get(role)) {
      if (unsettled.has(index)) continue;
      while (next < extra.length && this.#ahead(extra[next] as number, index)) yield tasks[extra[next++] as number] as Task;
      yield tasks[index] as Task;
    }
    while (next < extra.length) yield tasks[extra[next++] as number] as Task;
  }

  /** The ready tasks handed back to `agentId` (of any role), in plan order. */
  ownedReady(agentId: string, unsettled: ReadonlyMap<number, Place>): Task[] {
    return this.#select(this.#owned.get(agentId), unsettled, (place) => place.ready && place.assignee === agentId);
  }

  /** The ready tasks of `role` that declare files, in plan order. */
  readyWithFiles(role: string, unsettled: ReadonlyMap<number, Place>): Task[] {
    return this.#select(this.#withFiles.get(role), unsettled, (place) => place.ready && place.files && place.role === role);
  }

  /**
   * The ready tasks of `role` that declare files overlapping a path of `busy` (the only ones that can wait for a busy
   * task), in plan order: found from the busy paths, however many ready tasks there are.
   */
  readyOverlapping(role: string, busy: BusyFiles, unsettled: ReadonlyMap<number, Place>): Task[] {
    const found = new Set<number>();
    const add = (places: ReadonlySet<number> | undefined): void => {
      for (const index of places ?? []) if (!unsettled.has(index) && this.#places[index]?.role === role) found.add(index);
    };
    for (const path of busy.paths()) {
      // A ready task declaring the same path, a path inside it, or a folder holding it (pathsOverlap).
      add(this.#readyPaths.get(path));
      add(this.#readyInside.get(path));
      for (const folder of folders(path)) add(this.#readyPaths.get(folder));
    }
    for (const [index, place] of unsettled) if (place.ready && place.files && place.role === role) found.add(index);
    const tasks = plainList(this.#list);
    return [...found].sort((a, b) => a - b).map((index) => tasks[index] as Task);
  }

  /** The tasks that hold their files (in progress or in review), with their places. */
  holding(unsettled: ReadonlyMap<number, Place>): [Task, number][] {
    const places = [...this.#holding].filter((index) => !unsettled.has(index));
    for (const [index, place] of unsettled) if (place.holds) places.push(index);
    const tasks = plainList(this.#list);
    return places.map((index) => [tasks[index] as Task, index]);
  }

  #select(base: readonly number[], unsettled: ReadonlyMap<number, Place>, keep: (place: Place) => boolean): Task[] {
    const places = base.filter((index) => !unsettled.has(index));
    for (const [index, place] of unsettled) if (keep(place)) places.push(index);
    const tasks = plainList(this.#list);
    return places.sort((a, b) => a - b).map((index) => tasks[index] as Task);
  }

  /** True when the task at `a` is taken before the one at `b`. */
  #ahead(a: number, b: number): boolean {
    const levelA = this.#levels[a] ?? 0;
    const levelB = this.#levels[b] ?? 0;
    return levelA > levelB || (levelA === levelB && a < b);
  }

  /** Applies the places settled since the index last looked; false when the graph changed (index afresh). */
  follow(): boolean {
    const settled = settledSince(this.#list, this.#cursor);
    if (settled === undefined) return false;
    const tasks = plainList(this.#list);
    if (tasks.length !== this.#places.length) return false;
    const judge = new Set<number>();
    for (const index of new Set(settled.places)) {
      const task = tasks[index];
      const old = this.#places[index];
      if (task === undefined || old === undefined) return false;
      const place = placeOf(task);
      if (place.graph !== old.graph) return false;
      this.#leave(old, index);
      this.#places[index] = place;
      this.#enter(place, index);
      judge.add(index);
      for (const dependent of this.#dependents.get(task.id) ?? []) judge.add(dependent);
    }
    for (const index of judge) this.#judgePending(tasks, index);
    this.#cursor = settled.cursor;
    return true;
  }

  /** Puts the place in #settledPending when a readiness pass would change its task, out of it otherwise. */
  #judgePending(tasks: readonly Task[], index: number): void {
    const task = tasks[index] as Task;
    let settled = false;
    if (task.status === 'pending') {
      const dependencies = task.dependsOn.map((id) => taskById(tasks, id));
      settled =
        dependencies.every((dependency) => dependency?.status === 'done') ||
        dependencies.some((dependency) => dependency === undefined || dependency.status === 'failed' || dependency.status === 'cancelled');
    }
    if (settled) this.#settledPending.add(index);
    else this.#settledPending.delete(index);
  }

  #enter(place: Place, index: number): void {
    if (place.ready) {
      this.#byRole.add(place.role, index);
      if (place.assignee !== null) this.#owned.add(place.assignee, index);
      if (place.files) {
        this.#withFiles.add(place.role, index);
        this.#notePaths(place, index, true);
      }
    }
    if (place.holds) this.#holding.add(index);
  }

  /** Enters (or removes) the place of a ready task under each of its paths and the folders holding them. */
  #notePaths(place: Place, index: number, enter: boolean): void {
    const { paths } = place;
    paths.clean.forEach((path, at) => {
      note(this.#readyPaths, path, index, enter);
      for (const folder of paths.folders[at] ?? []) note(this.#readyInside, folder, index, enter);
    });
  }

  #leave(place: Place, index: number): void {
    if (place.ready) {
      this.#byRole.remove(place.role, index);
      if (place.assignee !== null) this.#owned.remove(place.assignee, index);
      if (place.files) {
        this.#withFiles.remove(place.role, index);
        this.#notePaths(place, index, false);
      }
    }
    if (place.holds) this.#holding.delete(index);
  }
}

/** Adds `index` to (or removes it from) the set of `key`. */
function note(map: Map<string, Set<number>>, key: string, index: number, enter: boolean): void {
  let set = map.get(key);
  if (enter) {
    if (set === undefined) {
      set = new Set();
      map.set(key, set);
    }
    set.add(index);
  } else {
    set?.delete(index);
    if (set?.size === 0) map.delete(key);
  }
}
