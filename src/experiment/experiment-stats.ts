/** The statistics of an experiment's rows: per design and metric a bootstrap interval, and paired differences with a baseline. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors/index.js';
import { errorCode, safeParseJsonLine } from '../files/index.js';
import { bootstrapMean, type BootstrapOptions, type Interval, pairedDifferences } from './bootstrap.js';
import { METRIC_COLUMNS, type MetricColumn, type ResultRow } from './result-row.js';
import { parseResultsCsv } from './results-csv.js';

/** The metrics a report shows, in order (those present in the rows). */
export const REPORT_METRICS: readonly MetricColumn[] = [
  'costUsd',
  'defectsEscaped',
  'defectsCaught',
  'defectsIntroduced',
  'escapeRate',
  'parallelMs',
  'speedup',
  'calls',
  'totalTokens',
  'tasksDone',
  'tasksFailed',
  'blockers',
  'gateBlocks',
  'testFailures',
];

/** Statistics of one design. */
export interface DesignStats {
  design: string;
  runs: number;
  /** Runs by status (done, failed, budget_exceeded…). */
  statuses: Record<string, number>;
  metrics: Partial<Record<MetricColumn, Interval>>;
}

/** A design compared with the baseline on the seeds both ran. */
export interface PairedStats {
  design: string;
  baseline: string;
  pairs: number;
  /** Mean of `design - baseline` per pair, with its interval; an interval that excludes 0 is a difference at the 5% level. */
  metrics: Partial<Record<MetricColumn, Interval>>;
}

/** What `experiment report` computes. */
export interface ExperimentStats {
  designs: DesignStats[];
  baseline: string;
  paired: PairedStats[];
  resamples: number;
  confidence: number;
}

const rowSchema = z.looseObject({
  design: z.string(),
  seed: z.number(),
  repetition: z.number(),
  status: z.string(),
  costUsd: z.number(),
});

/**
 * The rows of `dir`'s results.jsonl, each line validated (errors name the line); results.csv when the
 * directory kept only that table.
 */
export async function readResults(dir: string): Promise<ResultRow[]> {
  const file = join(dir, 'results.jsonl');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    return readResultsCsv(dir);
  }
  const rows: ResultRow[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const parsed = safeParseJsonLine({ text: line, file, line: index + 1, schema: rowSchema });
    if (!parsed.ok) throw new UsageError(parsed.error.message);
    rows.push(parsed.value as unknown as ResultRow);
  });
  if (rows.length === 0) throw new UsageError(`${file} holds no rows yet.`);
  return rows;
}

async function readResultsCsv(dir: string): Promise<ResultRow[]> {
  const file = join(dir, 'results.csv');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    throw new UsageError(
      `No results in ${dir}: expected results.jsonl or results.csv. Run the experiment first: agent-team experiment run FILE --out ${dir}`,
    );
  }
  const rows = parseResultsCsv({ text, file });
  if (rows.length === 0) throw new UsageError(`${file} holds no rows yet.`);
  return rows;
}

function metricValues(rows: readonly ResultRow[], metric: MetricColumn): number[] {
  return rows.flatMap((row) => {
    const value = row[metric];
    return typeof value === 'number' && Number.isFinite(value) ? [value] : [];
  });
}

/** Per design (in the rows' order) and metric: the mean with its interval; paired differences with `baseline` (default the first design). */
export function experimentStats(
  rows: readonly ResultRow[],
  options: BootstrapOptions & { baseline?: string | undefined } = {},
): ExperimentStats {
  const names = [...new Set(rows.map((row) => row.design))];
  const baseline = options.baseline ?? (names[0] as string);
  if (!names.includes(baseline))
    throw new UsageError(`--baseline "${baseline}" is not a design of these results (designs: ${names.join(', ')}).`);
  const metrics = REPORT_METRICS.filter((metric) => METRIC_COLUMNS.includes(metric) && metricValues(rows, metric).length > 0);
  const byDesign = new Map(names.map((name) => [name, rows.filter((row) => row.design === name)]));
  const bootstrap = (values: number[], salt: number): Interval => bootstrapMean(values, { ...options, seed: (options.seed ?? 1) + salt });
  const designs = names.map((design, designIndex): DesignStats => {
    const designRows = byDesign.get(design) ?? [];
    const statuses: Record<string, number> = {};
    for (const row of designRows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
    const stats: DesignStats = { design, runs: designRows.length, statuses, metrics: {} };
    metrics.forEach((metric, metricIndex) => {
      stats.metrics[metric] = bootstrap(metricValues(designRows, metric), designIndex * 1000 + metricIndex);
    });
    return stats;
  });
  const keyed = (design: string, metric: MetricColumn): Map<string, number> =>
    new Map(
      (byDesign.get(design) ?? []).flatMap((row) => {
        const value = row[metric];
        return typeof value === 'number' ? [[`${row.seed}#${row.repetition}`, value] as const] : [];
      }),
    );
  const paired = names
    .filter((design) => design !== baseline)
    .map((design, designIndex): PairedStats => {
      const result: PairedStats = { design, baseline, pairs: 0, metrics: {} };
      metrics.forEach((metric, metricIndex) => {
        const differences = pairedDifferences(keyed(baseline, metric), keyed(design, metric));
        result.pairs = Math.max(result.pairs, differences.length);
        if (differences.length > 0) result.metrics[metric] = bootstrap(differences, 500_000 + designIndex * 1000 + metricIndex);
      });
      return result;
    });
  return { designs, baseline, paired, resamples: options.resamples ?? 2000, confidence: options.confidence ?? 0.95 };
}
