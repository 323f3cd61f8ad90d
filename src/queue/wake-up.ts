/**
 * A wait that a poke ends early: `wait(ms)` resolves after `ms`, or at once when `poke()` was called
 * since the last wait began (a poke while nobody waits is kept for the next wait, never lost).
 */
export class WakeUp {
  #poked = false;
  #wake: (() => void) | undefined;

  /** Ends the current wait, or the next one if nobody waits now. */
  poke(): void {
    this.#poked = true;
    this.#wake?.();
  }

  /** Resolves after `ms`, or as soon as `poke()` is called (at once if it was called since the last wait). */
  wait(ms: number): Promise<void> {
    if (this.#poked) {
      this.#poked = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#poked = false;
        resolve();
      };
    });
  }
}
