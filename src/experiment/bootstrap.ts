/**
 * Honest small-sample statistics for experiments: the mean with a percentile
 * bootstrap interval, paired differences on shared seeds, and the number of
 * seeds a difference needs. Resampling is seeded, so the same rows give the
 * same intervals.
 */
import { SeededRandom } from '../providers/index.js';

/** A mean and its confidence interval. */
export interface Interval {
  n: number;
  mean: number;
  low: number;
  high: number;
  /** Sample standard deviation (n - 1); 0 for fewer than two values. */
  sd: number;
}

/** Bootstrap settings: resamples, confidence level, seed of the resampling. */
export interface BootstrapOptions {
  resamples?: number | undefined;
  confidence?: number | undefined;
  seed?: number | undefined;
}

/** Default bootstrap resamples. */
export const DEFAULT_RESAMPLES = 2000;

/** The arithmetic mean; 0 for no values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Sample standard deviation (divides by n - 1); 0 for fewer than two values. */
export function standardDeviation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const centre = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - centre) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** The q-quantile of sorted values, interpolating between neighbours (Hyndman & Fan type 7, R's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] as number;
  return low + ((sorted[above] as number) - low) * (position - below);
}

/** Means of `resamples` resamples with replacement of `values`, drawn from `seed`. */
export function resampleMeans(values: readonly number[], resamples: number, seed: number): number[] {
  const random = new SeededRandom(seed);
  const means: number[] = [];
  for (let index = 0; index < resamples; index += 1) {
    let sum = 0;
    for (let pick = 0; pick < values.length; pick += 1) sum += values[random.int(0, values.length - 1)] as number;
    means.push(sum / values.length);
  }
  return means;
}

/** The mean of `values` with a percentile bootstrap interval (95% by default). */
export function bootstrapMean(values: readonly number[], options: BootstrapOptions = {}): Interval {
  const centre = mean(values);
  const sd = standardDeviation(values);
  if (values.length < 2) return { n: values.length, mean: centre, low: centre, high: centre, sd };
  const alpha = 1 - (options.confidence ?? 0.95);
  const means = resampleMeans(values, options.resamples ?? DEFAULT_RESAMPLES, options.seed ?? 1).sort((a, b) => a - b);
  return { n: values.length, mean: centre, low: quantile(means, alpha / 2), high: quantile(means, 1 - alpha / 2), sd };
}

/** Differences `treatment - baseline` of the pairs both have (by key, e.g. seed and repetition). */
export function pairedDifferences(baseline: ReadonlyMap<string, number>, treatment: ReadonlyMap<string, number>): number[] {
  const differences: number[] = [];
  for (const [key, value] of [...treatment].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const base = baseline.get(key);
    if (base !== undefined) differences.push(value - base);
  }
  return differences;
}

// z quantiles of the standard normal: 97.5% (two-sided 5%) and 80% (power).
const Z_ALPHA = 1.959964;
const Z_POWER = 0.841621;

/**
 * Seeds (pairs) needed to detect a mean paired difference of `difference` with
 * a two-sided 5% test at 80% power, when paired differences spread by `sd`:
 * n = ((z₀.₉₇₅ + z₀.₈) · sd / difference)², at least 2.
 */
export function seedsToDetect(input: { sd: number; difference: number }): number {
  if (input.sd === 0) return 2;
  return Math.max(2, Math.ceil((((Z_ALPHA + Z_POWER) * input.sd) / input.difference) ** 2));
}
