/**
 * Finding a task of a plan by id without a scan of the plan: a map of ids to
 * places, shared by the versions of the plan (frozen ones, and the working copy
 * a store hands to every update). A place is trusted only when the task there
 * in the array asked about has the id asked for; otherwise, and for an id not in
 * the map, the map is made again from that array, so the answer is the one a
 * scan gives for a plan whose ids are unique (the stores reject a state where
 * they are not).
 */
import { plainList, type Task } from '../../state/index.js';

// One map for every version of a plan (and the working copy): the ids keep their places from one version to the next.
let places = new Map<string, number>();

function placesOf(list: readonly Task[]): Map<string, number> {
  // Read without noting every task of a store's working copy (see plainList): only the task found is read through the list.
  const tasks = plainList(list);
  const map = new Map<string, number>();
  for (let position = 0; position < tasks.length; position += 1) {
    const id = (tasks[position] as Task).id;
    if (!map.has(id)) map.set(id, position);
  }
  places = map;
  return map;
}

/** The place of the task with this id in `tasks`, or undefined when none has it. */
export function taskPosition(tasks: readonly Task[], id: string): number | undefined {
  const position = places.get(id);
  if (position !== undefined && tasks[position]?.id === id) return position;
  // An id the map does not know, or not at that place, may have been added or moved since: look again, once.
  return placesOf(tasks).get(id);
}

/** The task with this id in `tasks`, or undefined when none has it. */
export function taskById(tasks: readonly Task[], id: string): Task | undefined {
  const position = taskPosition(tasks, id);
  return position === undefined ? undefined : tasks[position];
}
