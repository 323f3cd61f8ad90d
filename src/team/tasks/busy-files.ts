/**
 * The files of the tasks in progress (or in review), indexed so that checking a
 * ready task against them costs its own paths, not the whole plan.
 */
import type { Task } from '../../state/index.js';

/** The form of a declared path that overlap checks compare: no leading "./", no trailing "/". */
export function cleanPath(path: string): string {
  return path.replace(/^\.\//, '').replace(/\/+$/, '');
}

/** True when two declared paths can touch the same file (equal, or one is a folder holding the other). */
export function pathsOverlap(a: string, b: string): boolean {
  const x = cleanPath(a);
  const y = cleanPath(b);
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/** Each prefix of `path` that ends right before a "/": the folders `pathsOverlap` sees holding it. */
export function folders(path: string): string[] {
  const found: string[] = [];
  for (let index = path.indexOf('/'); index >= 0; index = path.indexOf('/', index + 1)) found.push(path.slice(0, index));
  return found;
}

/** A task's declared files, cleaned, and the folders holding each. */
export interface DeclaredPaths {
  readonly files: readonly string[];
  readonly clean: readonly string[];
  readonly folders: readonly (readonly string[])[];
}

// Per files array: a ready task is checked against the busy ones on every commit that hands out work, its files seldom change.
const declared = new WeakMap<readonly string[], DeclaredPaths>();

/** The cleaned paths of `files` and the folders holding each, kept while the array holds the same files. */
export function pathsOf(files: readonly string[]): DeclaredPaths {
  const known = declared.get(files);
  if (known !== undefined && known.files.length === files.length && known.files.every((file, index) => file === files[index])) return known;
  const clean = files.map(cleanPath);
  const paths = { files: [...files], clean, folders: clean.map(folders) };
  declared.set(files, paths);
  return paths;
}

/** True when a task's files may be in use: it is in progress, or (workspace runs) changed but not yet merged. */
export function holdsFiles(task: Task): boolean {
  return task.status === 'in_progress' || task.status === 'review';
}

/** The busy tasks' paths, by exact path and by every folder holding one. */
export class BusyFiles {
  // Plan position of each busy task: the first one in plan order is the one a conflict names.
  readonly #position = new Map<Task, number>();
  readonly #exact = new Map<string, Task[]>();
  readonly #within = new Map<string, Task[]>();

  /** The index of the busy tasks of a plan. */
  static of(tasks: readonly Task[]): BusyFiles {
    const busy = new BusyFiles();
    tasks.forEach((task, position) => {
      if (holdsFiles(task)) busy.add(task, position);
    });
    return busy;
  }

  /** The index of `held` (busy tasks with their places in the plan). */
  static at(held: Iterable<readonly [Task, number]>): BusyFiles {
    const busy = new BusyFiles();
    for (const [task, position] of held) busy.add(task, position);
    return busy;
  }

  /** The cleaned paths the busy tasks declare. */
  paths(): Iterable<string> {
    return this.#exact.keys();
  }

  /** How many tasks were added: a result of `conflict` holds while it stays the same and no busy task finishes. */
  get size(): number {
    return this.#position.size;
  }

  /** Notes that `task`, at `position` in the plan, now holds its files. */
  add(task: Task, position: number): void {
    if (this.#position.has(task)) return;
    this.#position.set(task, position);
    for (const path of new Set(task.files.map(cleanPath))) {
      push(this.#exact, path, task);
      for (const folder of folders(path)) push(this.#within, folder, task);
    }
  }

  /** The first busy task (in plan order) whose files overlap `task`'s, and the shared paths, if any. */
  conflict(task: Task): { taskId: string; files: string[] } | undefined {
    if (task.files.length === 0 || this.#position.size === 0) return undefined;
    let first: Task | undefined;
    const paths = pathsOf(task.files);
    for (let index = 0; index < paths.clean.length; index += 1) {
      const path = paths.clean[index] as string;
      first = this.#earliest(task, this.#exact.get(path), first);
      first = this.#earliest(task, this.#within.get(path), first);
      for (const folder of paths.folders[index] as readonly string[]) first = this.#earliest(task, this.#exact.get(folder), first);
    }
    if (first === undefined) return undefined;
    const other: Task = first;
    const files = task.files.filter((file) => other.files.some((theirs) => pathsOverlap(file, theirs)));
    return { taskId: other.id, files };
  }

  /** Of `first` and the busy `candidates` other than `task`, the one earliest in the plan. */
  #earliest(task: Task, candidates: readonly Task[] | undefined, first: Task | undefined): Task | undefined {
    if (candidates === undefined) return first;
    let earliest = first;
    let position = first === undefined ? Number.POSITIVE_INFINITY : (this.#position.get(first) ?? Number.POSITIVE_INFINITY);
    for (const other of candidates) {
      const at = this.#position.get(other) ?? Number.POSITIVE_INFINITY;
      if (other.id === task.id || !holdsFiles(other) || at >= position) continue;
      earliest = other;
      position = at;
    }
    return earliest;
  }
}

function push(map: Map<string, Task[]>, key: string, task: Task): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [task]);
  else list.push(task);
}
