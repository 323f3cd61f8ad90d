/** One pass of a group commit: the updates queued together run in order on one copy of the state. */
import { StateUpdateError } from '../errors/index.js';
import type { UpdateContext } from './store.js';

/** An update of a group, as the pass needs it. */
export interface GroupUpdate<S, E> {
  readonly fn: (state: S, context: UpdateContext<E>) => unknown;
}

/** An update that ran: what it returned, the events it emitted and the seq it got. */
export interface DoneUpdate<E, U> {
  readonly item: U;
  readonly value: unknown;
  readonly events: E[];
  readonly seq: number;
}

/**
 * Runs every update of `batch` in order on `fresh()`, each with its own seq and
 * events. A function that throws (or returns a promise) is dropped and the pass
 * starts again on a fresh copy, so that it leaves no trace in the others' state.
 */
export function runGroup<S extends { seq: number }, E, U extends GroupUpdate<S, E>>(input: {
  batch: readonly U[];
  fresh: () => S;
  /** The time every update of the group sees as `context.now`. */
  at: string;
  /** The state file, for the messages of misused updates. */
  file: string;
}): { state: S; done: DoneUpdate<E, U>[]; failed: Map<U, unknown> } {
  const { batch, file } = input;
  const failed = new Map<U, unknown>();
  for (;;) {
    const state = input.fresh();
    const done: DoneUpdate<E, U>[] = [];
    let restart = false;
    for (const item of batch) {
      if (failed.has(item)) continue;
      const events: E[] = [];
      let open = true;
      const context: UpdateContext<E> = {
        now: input.at,
        emit: (event) => {
          if (!open) {
            throw new StateUpdateError({ file, message: `emit() was called after the update() of ${file} returned; the event is lost.` });
          }
          events.push(event);
        },
      };
      const previousSeq = state.seq;
      try {
        const value = item.fn(state, context);
        if (isPromiseLike(value)) {
          throw new TypeError(
            `update() of ${file} needs a synchronous function, but it returned a promise; nothing was written. ` +
              'Do slow work before update() so the lock is never held across it.',
          );
        }
        state.seq = previousSeq + 1;
        done.push({ item, value, events, seq: state.seq });
      } catch (error) {
        failed.set(item, error);
        restart = true;
        break;
      } finally {
        open = false;
      }
    }
    if (!restart) return { state, done, failed };
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
