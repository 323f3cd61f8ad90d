/**
 * The experiment's hard budgets. A cell may start only with a cap (its run's
 * own hard limit) that fits in what is left of the total once finished cells'
 * spend and running cells' caps are counted, and never above the per-cell cap.
 * So the total is never exceeded, whatever finishes first.
 */

/** Below this a cell is not started: no model call fits in it. */
export const MIN_CELL_USD = 0.0001;

/** The experiment's money: spent by finished cells, held by running or stopped ones. */
export class ExperimentBudget {
  readonly #totalUsd: number;
  readonly #perCellUsd: number;
  #spentUsd = 0;
  /** By cell: a running cell's cap, or what a stopped cell has spent so far. */
  readonly #held = new Map<string, number>();

  constructor(input: { totalUsd: number; perCellUsd: number }) {
    this.#totalUsd = input.totalUsd;
    this.#perCellUsd = input.perCellUsd;
  }

  /** Spent by finished cells plus what stopped cells spent, in USD. */
  get spentUsd(): number {
    return this.#spentUsd;
  }

  /** Money not spent, held or capped. */
  get availableUsd(): number {
    let held = 0;
    for (const usd of this.#held.values()) held += usd;
    return Math.max(0, this.#totalUsd - this.#spentUsd - held);
  }

  /** Records a cell stopped in an earlier session, and what it spent: that money stays counted. */
  holdStopped(cellId: string, spentUsd: number): void {
    this.#held.set(cellId, spentUsd);
  }

  /** Records a finished cell of an earlier session. */
  addFinished(costUsd: number): void {
    this.#spentUsd += costUsd;
  }

  /** The cap a cell may start with (also capped by `ownLimitUsd`, its config's max_usd), or null when too little is left. */
  start(cellId: string, ownLimitUsd: number | null): number | null {
    const already = this.#held.get(cellId) ?? 0;
    const cap = Math.min(this.#perCellUsd, this.availableUsd + already, ownLimitUsd ?? Number.POSITIVE_INFINITY);
    if (cap - already < MIN_CELL_USD) return null;
    this.#held.set(cellId, cap);
    return cap;
  }

  /** The cell's run ended having cost `costUsd`. */
  finish(cellId: string, costUsd: number): void {
    this.#held.delete(cellId);
    this.#spentUsd += costUsd;
  }

  /** The cell's run was stopped having spent `spentUsd` so far. */
  stop(cellId: string, spentUsd: number): void {
    this.#held.set(cellId, spentUsd);
  }
}
