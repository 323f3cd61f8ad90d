/**
 * Runs an experiment: every cell a job on the worker queue (at most
 * `concurrency` at once), each a normal run in its own directory, within the
 * hard budgets. Ctrl-C stops the running cells cleanly; `resume` runs only the
 * cells without a `cell.json`, continuing those stopped in the middle.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { existsSync } from 'node:fs';
import type { TeamConfig } from '../config/index.js';
import { UsageError } from '../errors/index.js';
import { safeParseDataText, writeFileAtomic } from '../files/index.js';
import { WorkerQueue } from '../queue/index.js';
import { readTeamStateAt } from '../team/index.js';
import { ExperimentBudget } from './experiment-budget.js';
import { cellConfig, experimentCells, type ExperimentCell, loadDesigns } from './experiment-cells.js';
import type { LoadedExperiment } from './experiment-file.js';
import { type ResultRecord, toCsv, toJsonl } from './result-row.js';
import { cellCassette, readCellRecord, runCell } from './run-cell.js';

/** What an experiment reports as it goes. */
export type ExperimentEvent =
  | { type: 'experiment-start'; dir: string; total: number; toRun: number; concurrency: number; resumed: boolean }
  | {
      type: 'cell-end';
      cell: ExperimentCell;
      /** The row, or null when the cell was stopped (resume continues it) or not started for lack of budget. */
      record: ResultRecord | null;
      outcome: 'finished' | 'stopped' | 'skipped_budget';
      done: number;
      total: number;
      spentUsd: number;
      /** Estimated wall time left, ms; null before the first cell of this session ends. */
      etaMs: number | null;
    }
  | { type: 'experiment-end'; summary: ExperimentSummary };

/** `experiment.json`'s status part: how far the experiment got. */
export interface ExperimentSummary {
  name: string;
  status: 'finished' | 'interrupted' | 'budget_exhausted';
  cells: number;
  finished: number;
  /** Cells not started because the total budget had too little left. */
  skippedForBudget: string[];
  spentUsd: number;
  budget: { perCellUsd: number; totalUsd: number };
}

const manifestSchema = z.object({ version: z.literal(1), name: z.string(), file: z.string(), hash: z.string() }).loose();

/** Paths of an experiment directory. */
export function experimentPaths(dir: string): { dir: string; manifest: string; csv: string; jsonl: string } {
  return { dir, manifest: join(dir, 'experiment.json'), csv: join(dir, 'results.csv'), jsonl: join(dir, 'results.jsonl') };
}

async function checkManifest(input: { loaded: LoadedExperiment; dir: string; resume: boolean }): Promise<boolean> {
  const paths = experimentPaths(input.dir);
  let text: string | null = null;
  try {
    text = await readFile(paths.manifest, 'utf8');
  } catch {
    text = null;
  }
  if (text === null) return false;
  if (!input.resume) {
    throw new UsageError(
      `${input.dir} already holds experiment results. Continue it with --resume, or choose another directory with --out.`,
    );
  }
  const parsed = safeParseDataText({ text, where: paths.manifest, format: 'json', schema: manifestSchema });
  if (!parsed.ok) throw new UsageError(`${paths.manifest} is not an experiment manifest (${parsed.error.message}).`);
  if (parsed.value.hash !== input.loaded.hash) {
    throw new UsageError(
      `${input.loaded.file} changed since the experiment in ${input.dir} started; resume it with the file as it was, or start a new experiment with --out.`,
    );
  }
  return true;
}

/** Writes results.csv and results.jsonl from every finished cell, in cell order. */
export async function writeResults(dir: string, records: readonly ResultRecord[]): Promise<void> {
  const paths = experimentPaths(dir);
  await writeFileAtomic(paths.csv, toCsv(records));
  await writeFileAtomic(paths.jsonl, toJsonl(records));
}

/** Runs (or resumes) an experiment into `dir`; returns its summary and the finished rows. */
export async function runExperiment(input: {
  loaded: LoadedExperiment;
  dir: string;
  resume?: boolean | undefined;
  /** Cells at once, instead of the file's `concurrency`. */
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((event: ExperimentEvent) => void) | undefined;
  /** Answer every call on the sim, whatever provider a design names (the pilot of `experiment plan`). */
  simulate?: boolean | undefined;
  /** An earlier experiment directory of the same file: every cell answers from that cell's cassette. */
  replayFrom?: string | undefined;
}): Promise<{ summary: ExperimentSummary; records: ResultRecord[] }> {
  const { loaded, dir } = input;
  const { spec } = loaded;
  const concurrency = input.concurrency ?? spec.concurrency;
  const designs = loadDesigns(loaded);
  const resumed = await checkManifest({ loaded, dir, resume: input.resume === true });
  await mkdir(dir, { recursive: true });
  const paths = experimentPaths(dir);
  if (!resumed) {
    await writeFileAtomic(
      paths.manifest,
      `${JSON.stringify({ version: 1, name: spec.name, file: loaded.file, hash: loaded.hash, spec }, null, 2)}\n`,
    );
  }
  const cells = experimentCells(loaded, dir);
  const replays = replayCassettes({ cells, replayFrom: input.replayFrom, outDir: dir });
  const budget = new ExperimentBudget({ totalUsd: spec.budget.total_usd, perCellUsd: spec.budget.per_cell_usd });
  const records = new Map<string, ResultRecord>();
  const toRun: ExperimentCell[] = [];
  for (const cell of cells) {
    const record = await readCellRecord(cell);
    if (record !== null) {
      records.set(cell.id, record);
      budget.addFinished(record.costUsd);
      continue;
    }
    const state = await readTeamStateAt(cellConfig(designs[cell.designIndex] as (typeof designs)[number], cell).stateFile).catch(
      () => null,
    );
    if (state !== null) budget.holdStopped(cell.id, state.budget.spentUsd);
    toRun.push(cell);
  }
  input.onEvent?.({ type: 'experiment-start', dir, total: cells.length, toRun: toRun.length, concurrency, resumed });

  const skipped: string[] = [];
  let writing: Promise<void> = Promise.resolve();
  const sessionStart = Date.now();
  let endedThisSession = 0;
  const signal = input.signal ?? new AbortController().signal;
  const report = (cell: ExperimentCell, record: ResultRecord | null, outcome: 'finished' | 'stopped' | 'skipped_budget'): void => {
    endedThisSession += 1;
    const left = toRun.length - endedThisSession;
    const perCell = (Date.now() - sessionStart) / endedThisSession;
    input.onEvent?.({
      type: 'cell-end',
      cell,
      record,
      outcome,
      done: records.size,
      total: cells.length,
      spentUsd: budget.spentUsd,
      etaMs: Math.round((perCell * left) / Math.min(concurrency, Math.max(1, left))),
    });
  };

  {
    await using queue = new WorkerQueue<void>({ concurrency });
    const results = queue.results();
    for (const cell of toRun) {
      await queue.submit({
        id: cell.id,
        run: async () => {
          if (signal.aborted) return;
          const design = designs[cell.designIndex] as (typeof designs)[number];
          const cap = budget.start(cell.id, design.config.orchestrator.budget.max_usd);
          if (cap === null) {
            skipped.push(cell.id);
            report(cell, null, 'skipped_budget');
            return;
          }
          const outcome = await runCell({
            cell,
            config: cellConfig(design, cell),
            feature: spec.feature,
            timeScale: spec.time_scale,
            budgetUsd: cap,
            experimentDir: dir,
            signal,
            simulate: input.simulate,
            record: input.simulate !== true && recordsCalls(spec.record, design.config) ? cellCassette(cell.dir) : undefined,
            replay: replays?.get(cell.id),
          });
          if (outcome.finished) {
            budget.finish(cell.id, outcome.record.costUsd);
            records.set(cell.id, outcome.record);
            // Reported at once, so that each cell's line counts the cells ended before it (a write may wait for another).
            report(cell, outcome.record, 'finished');
            // One write at a time, each with every row so far: a slower earlier write never lands last.
            writing = writing.then(() => writeResults(dir, orderedRecords(cells, records)));
            await writing;
          } else {
            budget.stop(cell.id, outcome.spentUsd);
            report(cell, null, 'stopped');
          }
        },
      });
    }
    queue.close();
    let failure: unknown;
    for await (const record of results) if (record.status === 'failed') failure ??= record.error;
    if (failure !== undefined) throw failure;
  }
  const ordered = orderedRecords(cells, records);
  await writeResults(dir, ordered);
  const summary: ExperimentSummary = {
    name: spec.name,
    status: signal.aborted && ordered.length < cells.length ? 'interrupted' : skipped.length > 0 ? 'budget_exhausted' : 'finished',
    cells: cells.length,
    finished: ordered.length,
    skippedForBudget: skipped.sort(),
    spentUsd: Math.round(budget.spentUsd * 1e9) / 1e9,
    budget: { perCellUsd: spec.budget.per_cell_usd, totalUsd: spec.budget.total_usd },
  };
  await writeFileAtomic(join(dir, 'experiment-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  input.onEvent?.({ type: 'experiment-end', summary });
  return { summary, records: ordered };
}

function orderedRecords(cells: readonly ExperimentCell[], records: ReadonlyMap<string, ResultRecord>): ResultRecord[] {
  return cells.flatMap((cell) => {
    const record = records.get(cell.id);
    return record === undefined ? [] : [record];
  });
}

/** Whether a design's cells record their calls: always, never, or (auto) when any of its roles calls a real provider. */
function recordsCalls(mode: 'auto' | 'always' | 'never', config: TeamConfig): boolean {
  if (mode !== 'auto') return mode === 'always';
  const runProvider = config.orchestrator.provider.name;
  return config.roster.some((member) => (member.roleConfig.provider ?? runProvider) !== 'sim');
}

/** Each cell's cassette in the experiment replayed; a UsageError names the cells that have none. */
function replayCassettes(input: {
  cells: readonly ExperimentCell[];
  replayFrom: string | undefined;
  outDir: string;
}): Map<string, string> | undefined {
  const { replayFrom } = input;
  if (replayFrom === undefined) return undefined;
  const cassettes = new Map(input.cells.map((cell) => [cell.id, cellCassette(join(replayFrom, 'cells', cell.id))]));
  const missing = [...cassettes].filter(([, file]) => !existsSync(file)).map(([id]) => id);
  if (missing.length > 0) {
    throw new UsageError(
      `--replay ${replayFrom}: no cassette for ${missing.length} cell(s) (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}). ` +
        'Replay an experiment of the same file whose cells recorded their calls (record: always, or real providers with record: auto).',
    );
  }
  return cassettes;
}
