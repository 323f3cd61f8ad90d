/**
 * One row of an experiment's results: a run's figures from its summary.json.
 * `results.csv` holds the columns that are a function of the design and the seed
 * (so the same experiment on the sim at time scale 0 gives the same file);
 * `results.jsonl` adds the wall time, the run id and the run directory.
 */
import type { RunSummary } from '../report/index.js';

/** The deterministic part of a row: every column of results.csv, in order. */
export interface ResultRow {
  design: string;
  designHash: string;
  seed: number;
  repetition: number;
  status: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  calls: number;
  repairs: number;
  /** Model time of the run replayed on the team (makespan), ms: the simulated time of a sim run. */
  parallelMs: number;
  /** Model time of every call one after another, ms. */
  sequentialMs: number;
  speedup: number;
  tasksTotal: number;
  tasksDone: number;
  tasksFailed: number;
  tasksCancelled: number;
  blockers: number;
  blockerLoops: number;
  gateBlocks: number;
  testFailures: number;
  /** Sim quality model; empty (null) for real runs. */
  defectsIntroduced: number | null;
  defectsCaught: number | null;
  defectsEscaped: number | null;
  escapeRate: number | null;
}

/** A row of results.jsonl: the CSV row plus what differs from one machine or moment to the next. */
export interface ResultRecord extends ResultRow {
  /** Wall-clock time of the cell, ms (not in results.csv: it is not a function of the seed). */
  wallMs: number;
  runId: string;
  /** The run directory, relative to the experiment directory. */
  runDir: string;
}

/** The columns of results.csv, in order. */
export const CSV_COLUMNS: readonly (keyof ResultRow)[] = [
  'design',
  'designHash',
  'seed',
  'repetition',
  'status',
  'costUsd',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'totalTokens',
  'calls',
  'repairs',
  'parallelMs',
  'sequentialMs',
  'speedup',
  'tasksTotal',
  'tasksDone',
  'tasksFailed',
  'tasksCancelled',
  'blockers',
  'blockerLoops',
  'gateBlocks',
  'testFailures',
  'defectsIntroduced',
  'defectsCaught',
  'defectsEscaped',
  'escapeRate',
];

/** The numeric columns a report can summarize. */
export const METRIC_COLUMNS = CSV_COLUMNS.filter(
  (column) => !['design', 'designHash', 'seed', 'repetition', 'status'].includes(column),
) as readonly Exclude<keyof ResultRow, 'design' | 'designHash' | 'seed' | 'repetition' | 'status'>[];

/** A metric column name. */
export type MetricColumn = (typeof METRIC_COLUMNS)[number];

/** The row of a run. */
export function resultRow(input: { design: string; seed: number; repetition: number; summary: RunSummary }): ResultRow {
  const { summary } = input;
  const byStatus = summary.tasks.byStatus;
  return {
    design: input.design,
    designHash: summary.design?.hash ?? '',
    seed: input.seed,
    repetition: input.repetition,
    status: summary.status,
    costUsd: summary.costUsd,
    inputTokens: summary.tokens.inputTokens,
    outputTokens: summary.tokens.outputTokens,
    cacheReadTokens: summary.tokens.cacheReadTokens,
    cacheWriteTokens: summary.tokens.cacheWriteTokens,
    reasoningTokens: summary.tokens.reasoningTokens,
    totalTokens: summary.tokens.total,
    calls: summary.calls,
    repairs: summary.repairs,
    parallelMs: summary.metrics.parallelTimeMs,
    sequentialMs: summary.metrics.estimatedSequentialTimeMs,
    speedup: Math.round(summary.metrics.speedupRatio * 10_000) / 10_000,
    tasksTotal: summary.tasks.total,
    tasksDone: byStatus['done'] ?? 0,
    tasksFailed: byStatus['failed'] ?? 0,
    tasksCancelled: byStatus['cancelled'] ?? 0,
    blockers: summary.blockers.raised,
    blockerLoops: summary.blockers.loops,
    gateBlocks: summary.metrics.gateBlocks,
    testFailures: summary.metrics.testFailures,
    defectsIntroduced: summary.quality?.introduced ?? null,
    defectsCaught: summary.quality?.caught ?? null,
    defectsEscaped: summary.quality?.escaped ?? null,
    escapeRate: summary.quality === null ? null : Math.round(summary.quality.escapeRate * 10_000) / 10_000,
  };
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** results.csv: a header and one line per row, in the order given. */
export function toCsv(rows: readonly ResultRow[]): string {
  const lines = [CSV_COLUMNS.join(','), ...rows.map((row) => CSV_COLUMNS.map((column) => csvField(row[column])).join(','))];
  return `${lines.join('\n')}\n`;
}

/** results.jsonl: one JSON object per row. */
export function toJsonl(records: readonly ResultRecord[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join('');
}
