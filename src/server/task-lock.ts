/** One operation at a time per task id, in this process: concurrent submissions of a task queue up behind the first. */
export class TaskLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once every earlier `run` of the same task id has settled. */
  async run<T>(taskId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(taskId) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.#tails.set(taskId, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(taskId) === tail) this.#tails.delete(taskId);
    }
  }

  /** Resolves once every operation started so far has settled (a server closing waits for plans under way). */
  async settled(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}
