/**
 * The statistics of the experiment pages, computed once per version of an experiment's files and shared
 * by every page and viewer. Their bootstrap takes a second and more of CPU over a few thousand cells, and
 * a page following a running experiment is refreshed at every finished cell: while an experiment runs
 * (it has a manifest and no current summary), its statistics are computed again at most every
 * `refreshMs`, and in between a page gets its counts and spend read afresh with the statistics computed
 * last, which say how many cells they cover. A finished experiment's are computed at once.
 */
import { type ExperimentDetail, readExperimentDetail, readExperimentOverview } from '../experiment/index.js';

/** How often the statistics of a running experiment are computed again, at most. */
export const DEFAULT_ANALYSIS_REFRESH_MS = 10_000;

/** The detail computed last for one experiment directory: for the files at `stamp`, started at `at`. */
interface Computed {
  readonly stamp: string;
  readonly at: number;
  readonly detail: Promise<ExperimentDetail>;
}

/** See the file comment. */
export class ExperimentDetails {
  readonly #computed = new Map<string, Computed>();
  readonly #now: () => number;
  readonly #refreshMs: number;
  readonly #read: (dir: string) => Promise<ExperimentDetail>;

  constructor(
    options: {
      now?: (() => number) | undefined;
      refreshMs?: number | undefined;
      /** Reads an experiment's detail (default: readExperimentDetail). */
      read?: ((dir: string) => Promise<ExperimentDetail>) | undefined;
    } = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#refreshMs = options.refreshMs ?? DEFAULT_ANALYSIS_REFRESH_MS;
    this.#read = options.read ?? ((dir) => readExperimentDetail(dir));
  }

  /** The detail of the experiment in `dir`, whose files are at `stamp` (their fingerprint). */
  async detail(dir: string, stamp: string): Promise<ExperimentDetail> {
    const computed = this.#computed.get(dir);
    if (computed?.stamp === stamp) return computed.detail;
    if (computed !== undefined && this.#waitMs(computed) > 0) {
      const [last, overview] = await Promise.all([computed.detail, readExperimentOverview(dir)]);
      if (overview.progress === 'incomplete') return { overview, analysis: last.analysis };
    }
    const detail = this.#read(dir);
    this.#computed.set(dir, { stamp, at: this.#now(), detail });
    // A failed read is not kept: the next look reads again.
    detail.catch(() => {
      if (this.#computed.get(dir)?.detail === detail) this.#computed.delete(dir);
    });
    return detail;
  }

  /**
   * What a page following the experiment compares to know it changed: `stamp` when its statistics are of
   * these files; else `stamp` marked kept (statistics of older files, not due yet) or due (the next look
   * computes them), so that a page showing kept statistics refreshes once they are due.
   */
  liveStamp(dir: string, stamp: string): string {
    const computed = this.#computed.get(dir);
    if (computed === undefined || computed.stamp === stamp) return stamp;
    return `${stamp}~${this.#waitMs(computed) > 0 ? 'kept' : 'due'}`;
  }

  #waitMs(computed: Computed): number {
    return computed.at + this.#refreshMs - this.#now();
  }
}
