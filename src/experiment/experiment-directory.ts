/**
 * Experiment directories as something to browse: which directories under a folder hold results, what
 * each one is (its manifest, how far it got, what it spent) and, for one, the statistics and charts its
 * report would show. Anything that reads these directories for people (the dashboard) goes through here,
 * so it shows the same figures `experiment report` writes.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { errorCode, readDataFile } from '../files/index.js';
import type { BootstrapOptions } from './bootstrap.js';
import { seedList } from './experiment-file.js';
import { type ReportChart, reportCharts, reportMetrics } from './experiment-report.js';
import { type ExperimentStats, experimentStats, readResults } from './experiment-stats.js';
import type { MetricColumn, ResultRow } from './result-row.js';
import { experimentPaths } from './run-experiment.js';

/**
 * How far an experiment got: as its summary says; `incomplete` while it runs or after it was killed;
 * `unknown` for results kept without the manifest `experiment run` writes.
 */
export type ExperimentProgress = 'finished' | 'interrupted' | 'budget_exhausted' | 'incomplete' | 'unknown';

/** One experiment directory at a glance. */
export interface ExperimentOverview {
  readonly dir: string;
  /** The experiment's name (its manifest's), else the directory's. */
  readonly name: string;
  readonly feature: string | null;
  /** Design names, in the file's order (from the rows when there is no manifest). */
  readonly designs: string[];
  /** Cells planned (designs × seeds × repetitions); null without a manifest. */
  readonly cellsPlanned: number | null;
  /** Cells with a row. */
  readonly cellsFinished: number;
  /** Finished cells whose run ended `done`. */
  readonly cellsDone: number;
  /** Finished cells whose run ended otherwise, by status (failed, budget_exceeded…). */
  readonly cellsFailed: Record<string, number>;
  /** Cells never started because the total budget was spent. */
  readonly cellsSkippedForBudget: number;
  /** USD spent: the summary's total (stopped cells included) when it covers every row, else the rows' sum. */
  readonly spentUsd: number;
  /** The experiment's total budget; null without a manifest. */
  readonly budgetUsd: number | null;
  readonly progress: ExperimentProgress;
  /** When the results were last written (ISO). */
  readonly updatedAt: string | null;
  /** Why the results could not be read, or null. */
  readonly problem: string | null;
}

/** One experiment with what its report shows. */
export interface ExperimentDetail {
  readonly overview: ExperimentOverview;
  /** Null when the results could not be read (`overview.problem` says why). */
  readonly analysis: {
    readonly rows: ResultRow[];
    readonly stats: ExperimentStats;
    /** The metrics of the report's tables, in order. */
    readonly metrics: MetricColumn[];
    readonly charts: ReportChart[];
  } | null;
}

const RESULT_FILES = ['results.jsonl', 'results.csv'] as const;

/** The part of experiment.json (the manifest `experiment run` writes first) an overview needs. */
const manifestSchema = z.looseObject({
  name: z.string(),
  spec: z.looseObject({
    feature: z.string(),
    designs: z.array(z.looseObject({ name: z.string() })),
    seeds: z.union([z.array(z.number().int()), z.object({ from: z.number().int(), count: z.number().int() })]),
    repetitions: z.number().int().positive(),
    budget: z.looseObject({ total_usd: z.number() }),
  }),
});

const summarySchema = z.looseObject({
  status: z.enum(['finished', 'interrupted', 'budget_exhausted']),
  finished: z.number().int(),
  skippedForBudget: z.array(z.string()),
  spentUsd: z.number(),
});

/** When `dir` holds results as regular files (a link is not followed), the time they were last written. */
async function resultsWritten(dir: string): Promise<Date | null> {
  for (const name of RESULT_FILES) {
    try {
      const stats = await lstat(join(dir, name));
      if (stats.isFile()) return stats.mtime;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
    }
  }
  return null;
}

/**
 * The experiment directories of `root`: the root itself when it holds results, else each directory in it
 * that does (by name). Links and hidden entries are skipped, so nothing found lies outside `root`.
 */
export async function findExperimentDirectories(root: string): Promise<string[]> {
  if ((await resultsWritten(root)) !== null) return [root];
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return [];
    throw error;
  }
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if ((await resultsWritten(join(root, entry.name))) !== null) found.push(join(root, entry.name));
  }
  return found;
}

/** A manifest or summary that does not parse is left out: the rows alone still say what ran. */
async function readOptional<T>(file: string, schema: z.ZodType<T>): Promise<T | undefined> {
  try {
    return await readDataFile({ file, format: 'json', schema });
  } catch {
    return undefined;
  }
}

function countCells(rows: readonly ResultRow[]): Pick<ExperimentOverview, 'cellsDone' | 'cellsFailed'> {
  const cellsFailed: Record<string, number> = {};
  let cellsDone = 0;
  for (const row of rows) {
    if (row.status === 'done') cellsDone += 1;
    else cellsFailed[row.status] = (cellsFailed[row.status] ?? 0) + 1;
  }
  return { cellsDone, cellsFailed };
}

async function readOverview(dir: string): Promise<{ overview: ExperimentOverview; rows: ResultRow[] | null }> {
  const paths = experimentPaths(dir);
  const manifest = await readOptional(paths.manifest, manifestSchema);
  const summary = await readOptional(join(dir, 'experiment-summary.json'), summarySchema);
  let rows: ResultRow[] | null = null;
  let problem: string | null = null;
  try {
    rows = await readResults(dir);
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  const finished = rows ?? [];
  const rowsUsd = finished.reduce((sum, row) => sum + row.costUsd, 0);
  // A summary written before a resume that added rows speaks of an older state of the directory.
  const current = summary !== undefined && summary.finished === finished.length ? summary : undefined;
  const spec = manifest?.spec;
  const updated = await resultsWritten(dir);
  return {
    rows,
    overview: {
      dir,
      name: manifest?.name ?? basename(dir),
      feature: spec?.feature ?? null,
      designs: spec?.designs.map((design) => design.name) ?? [...new Set(finished.map((row) => row.design))],
      cellsPlanned: spec === undefined ? null : spec.designs.length * seedList(spec.seeds).length * spec.repetitions,
      cellsFinished: finished.length,
      ...countCells(finished),
      cellsSkippedForBudget: current?.skippedForBudget.length ?? 0,
      spentUsd: current === undefined ? rowsUsd : Math.max(current.spentUsd, rowsUsd),
      budgetUsd: spec?.budget.total_usd ?? null,
      progress: current?.status ?? (manifest === undefined ? 'unknown' : 'incomplete'),
      updatedAt: updated?.toISOString() ?? null,
      problem,
    },
  };
}

/** What `dir` is and how far it got, without its statistics (cheap enough for a list). */
export async function readExperimentOverview(dir: string): Promise<ExperimentOverview> {
  return (await readOverview(dir)).overview;
}

/** `dir`'s overview with the statistics and charts `experiment report` computes from the same rows. */
export async function readExperimentDetail(
  dir: string,
  options: { baseline?: string | undefined; bootstrap?: BootstrapOptions | undefined } = {},
): Promise<ExperimentDetail> {
  const { overview, rows } = await readOverview(dir);
  if (rows === null) return { overview, analysis: null };
  const stats = experimentStats(rows, { ...options.bootstrap, baseline: options.baseline });
  return { overview, analysis: { rows, stats, metrics: reportMetrics(stats), charts: reportCharts({ stats, rows }) } };
}
