/**
 * Finding a task (or a blocker) of a run by id without a scan: a map of ids to
 * places, shared by the versions of the list (frozen ones, and the working copy
 * a store hands to every update). A place is trusted only when the entry there
 * in the array asked about has the id asked for; otherwise, and for an id not in
 * the map, the map is made again from that array, so the answer is the one a
 * scan gives for a list whose ids are unique (the stores reject a state where
 * they are not). On a store's working copy a scan would also note every entry as
 * reached, and the commit would compare each of them with its stored form.
 */
import { type Blocker, plainList, type Task } from '../../state/index.js';

/** The places of one kind of entry by id: one map for every version of the list, whose ids keep their places. */
class IdPlaces<T extends { readonly id: string }> {
  #places = new Map<string, number>();

  #placesOf(list: readonly T[]): Map<string, number> {
    // Read without noting every entry of a store's working copy (see plainList): only the entry found is read through the list.
    const entries = plainList(list);
    const map = new Map<string, number>();
    for (let position = 0; position < entries.length; position += 1) {
      const id = (entries[position] as T).id;
      if (!map.has(id)) map.set(id, position);
    }
    this.#places = map;
    return map;
  }

  position(list: readonly T[], id: string): number | undefined {
    const position = this.#places.get(id);
    if (position !== undefined && plainList(list)[position]?.id === id) return position;
    // An id the map does not know, or not at that place, may have been added or moved since: look again, once.
    return this.#placesOf(list).get(id);
  }

  find(list: readonly T[], id: string): T | undefined {
    const position = this.position(list, id);
    return position === undefined ? undefined : list[position];
  }
}

const taskPlaces = new IdPlaces<Task>();
const blockerPlaces = new IdPlaces<Blocker>();

/** The place of the task with this id in `tasks`, or undefined when none has it. */
export function taskPosition(tasks: readonly Task[], id: string): number | undefined {
  return taskPlaces.position(tasks, id);
}

/** The task with this id in `tasks`, or undefined when none has it. */
export function taskById(tasks: readonly Task[], id: string): Task | undefined {
  return taskPlaces.find(tasks, id);
}

/** The blocker with this id in `blockers`, or undefined when none has it. */
export function blockerById(blockers: readonly Blocker[], id: string): Blocker | undefined {
  return blockerPlaces.find(blockers, id);
}
