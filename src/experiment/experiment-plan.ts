/**
 * `experiment plan`: before spending, a pilot of every design on a few seeds on
 * the sim at time scale 0 (in a scratch directory) gives the money and model
 * time of the whole experiment, and the observed spread of paired differences
 * gives the seeds needed to detect a given difference (5% two-sided, 80% power).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapMean, type Interval, mean, pairedDifferences, seedsToDetect, standardDeviation } from './bootstrap.js';
import type { LoadedExperiment } from './experiment-file.js';
import type { MetricColumn, ResultRecord } from './result-row.js';
import { runExperiment } from './run-experiment.js';

/** The forecast of one design. */
export interface DesignForecast {
  design: string;
  /** Mean cost of one run in the pilot, with its interval. */
  costPerRun: Interval;
  /** Mean model time of one run on the team, ms. */
  modelMsPerRun: number;
  /** Runs the experiment file asks for (seeds × repetitions). */
  runs: number;
  costUsd: number;
}

/** What `experiment plan` estimates. */
export interface ExperimentForecast {
  pilotSeeds: number[];
  designs: DesignForecast[];
  /** Money of the whole experiment at the pilot's mean cost per run. */
  costUsd: number;
  /** Model time of the whole experiment with `concurrency` cells at once, ms (wall time with real models is about this). */
  modelMs: number;
  budget: { perCellUsd: number; totalUsd: number; fits: boolean };
  power: {
    metric: MetricColumn;
    difference: number;
    baseline: string;
    /** Per other design: the spread of its paired differences with the baseline and the seeds they need. */
    designs: { design: string; sdOfDifferences: number; seedsNeeded: number }[];
    seedsNeeded: number;
    seedsPlanned: number;
  };
}

const metricValue = (row: ResultRecord, metric: MetricColumn): number | null => {
  const value = row[metric];
  return typeof value === 'number' ? value : null;
};

/** Runs the pilot and estimates money, time and seeds. */
export async function planExperiment(input: {
  loaded: LoadedExperiment;
  pilotSeeds?: number | undefined;
  metric?: MetricColumn | undefined;
  difference?: number | undefined;
  signal?: AbortSignal | undefined;
}): Promise<ExperimentForecast> {
  const { loaded } = input;
  const { spec } = loaded;
  const metric = input.metric ?? 'costUsd';
  const pilotCount = input.pilotSeeds ?? 5;
  const pilotSeeds =
    loaded.seeds.length >= pilotCount ? loaded.seeds.slice(0, pilotCount) : Array.from({ length: pilotCount }, (_, index) => index + 1);
  const scratch = await mkdtemp(join(tmpdir(), 'agent-team-experiment-plan-'));
  let records: ResultRecord[];
  try {
    const pilot: LoadedExperiment = {
      ...loaded,
      seeds: pilotSeeds,
      spec: { ...spec, repetitions: 1, time_scale: 0, budget: { per_cell_usd: 1_000_000, total_usd: 1_000_000_000 } },
    };
    ({ records } = await runExperiment({ loaded: pilot, dir: join(scratch, 'pilot'), simulate: true, signal: input.signal }));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const runsPerDesign = loaded.seeds.length * spec.repetitions;
  const designs = spec.designs.map((design): DesignForecast => {
    const rows = records.filter((row) => row.design === design.name);
    const costPerRun = bootstrapMean(rows.map((row) => row.costUsd));
    return {
      design: design.name,
      costPerRun,
      modelMsPerRun: mean(rows.map((row) => row.parallelMs)),
      runs: runsPerDesign,
      costUsd: costPerRun.mean * runsPerDesign,
    };
  });
  const costUsd = designs.reduce((sum, design) => sum + design.costUsd, 0);
  const modelMs = designs.reduce((sum, design) => sum + design.modelMsPerRun * design.runs, 0) / spec.concurrency;
  const baseline = spec.designs[0]?.name ?? '';
  const keyed = (design: string): Map<string, number> =>
    new Map(
      records.flatMap((row) => {
        const value = metricValue(row, metric);
        return row.design === design && value !== null ? [[String(row.seed), value] as const] : [];
      }),
    );
  const baselineValues = [...keyed(baseline).values()];
  const difference = input.difference ?? Math.abs(mean(baselineValues)) * 0.1;
  const powerDesigns = spec.designs
    .filter((design) => design.name !== baseline)
    .map((design) => {
      const sd = standardDeviation(pairedDifferences(keyed(baseline), keyed(design.name)));
      return {
        design: design.name,
        sdOfDifferences: sd,
        seedsNeeded: difference > 0 ? seedsToDetect({ sd, difference }) : Number.POSITIVE_INFINITY,
      };
    });
  return {
    pilotSeeds,
    designs,
    costUsd,
    modelMs,
    budget: {
      perCellUsd: spec.budget.per_cell_usd,
      totalUsd: spec.budget.total_usd,
      fits: costUsd <= spec.budget.total_usd && designs.every((design) => design.costPerRun.high <= spec.budget.per_cell_usd),
    },
    power: {
      metric,
      difference,
      baseline,
      designs: powerDesigns,
      seedsNeeded: Math.max(2, ...powerDesigns.map((design) => design.seedsNeeded)),
      seedsPlanned: loaded.seeds.length,
    },
  };
}
