/**
 * One agent on the virtual clock of a run's replay: as many slots as the tasks it
 * may hold at once, each free from some model time on. Work is placed in the order
 * the agent claimed it, each piece in the slot that frees first.
 */
export class ModelLane {
  readonly #freeAt: number[];
  readonly #busy: boolean[];

  constructor(capacity: number) {
    const slots = Math.max(1, Math.floor(capacity));
    this.#freeAt = Array.from({ length: slots }, () => 0);
    this.#busy = Array.from({ length: slots }, () => false);
  }

  /** Takes the slot that frees first (lowest index on ties); the work starts when both it and the work are ready. */
  take(readyAt: number): { slot: number; start: number } {
    let slot = -1;
    for (let index = 0; index < this.#freeAt.length; index += 1) {
      if (this.#busy[index] === true) continue;
      if (slot === -1 || (this.#freeAt[index] ?? 0) < (this.#freeAt[slot] ?? 0)) slot = index;
    }
    if (slot === -1) {
      // More open work than the agent's room (a ledger from a roster that changed): a slot of its own.
      slot = this.#freeAt.length;
      this.#freeAt.push(0);
      this.#busy.push(false);
    }
    this.#busy[slot] = true;
    return { slot, start: Math.max(readyAt, this.#freeAt[slot] ?? 0) };
  }

  /** Frees a slot taken with `take` from `at` on. */
  release(slot: number, at: number): void {
    this.#busy[slot] = false;
    this.#freeAt[slot] = Math.max(this.#freeAt[slot] ?? 0, at);
  }
}
