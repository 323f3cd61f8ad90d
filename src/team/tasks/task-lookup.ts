/**
 * Finding a task of a plan by id without a scan of the plan: each tasks array
 * (a frozen version, or the working copy a store hands to every update) keeps a
 * map of ids to places. A place is trusted only when the task there still has
 * the id asked for; otherwise, and for an id not in the map, the map is made
 * again from the array as it is, so the answer is the one a scan gives for a
 * plan whose ids are unique (the stores reject a state where they are not).
 */
import type { Task } from '../../state/index.js';

const places = new WeakMap<readonly Task[], Map<string, number>>();

function placesOf(tasks: readonly Task[]): Map<string, number> {
  const map = new Map<string, number>();
  for (let position = 0; position < tasks.length; position += 1) {
    const id = (tasks[position] as Task).id;
    if (!map.has(id)) map.set(id, position);
  }
  places.set(tasks, map);
  return map;
}

/** The place of the task with this id in `tasks`, or undefined when none has it. */
export function taskPosition(tasks: readonly Task[], id: string): number | undefined {
  const known = places.get(tasks);
  const position = known?.get(id);
  if (position !== undefined && tasks[position]?.id === id) return position;
  // An id the map does not know may have been added since: look again, once.
  const fresh = placesOf(tasks).get(id);
  return fresh;
}

/** The task with this id in `tasks`, or undefined when none has it. */
export function taskById(tasks: readonly Task[], id: string): Task | undefined {
  const position = taskPosition(tasks, id);
  return position === undefined ? undefined : tasks[position];
}
