/** Experiment statistics checked against hand computations. */
import { describe, expect, it } from 'vitest';
import {
  bootstrapMean,
  experimentStats,
  mean,
  pairedDifferences,
  quantile,
  type ResultRecord,
  resampleMeans,
  seedsToDetect,
  standardDeviation,
} from '../../src/experiment/index.js';

describe('bootstrap statistics', () => {
  it('mean, sample sd and type-7 quantiles match a hand computation', () => {
    // [2, 4, 9]: mean 15/3 = 5; squares 9 + 1 + 16 = 26, over n - 1 = 2: 13.
    expect(mean([2, 4, 9])).toBe(5);
    expect(standardDeviation([2, 4, 9])).toBeCloseTo(Math.sqrt(13), 12);
    // [1, 2, 3, 4] at 2.5%: position 3 × 0.025 = 0.075 → 1 + 0.075 × (2 - 1).
    expect(quantile([1, 2, 3, 4], 0.025)).toBeCloseTo(1.075, 12);
    // At 97.5%: position 2.925 → 3 + 0.925 × (4 - 3).
    expect(quantile([1, 2, 3, 4], 0.975)).toBeCloseTo(3.925, 12);
  });

  it('the 95% interval of [2, 4, 9] is [2, 9], as enumerating the 27 resamples gives', () => {
    // Of the 3³ = 27 equally likely resamples, one has mean 2 (2,2,2) and one mean 9 (9,9,9):
    // each holds 1/27 ≈ 3.7% > 2.5% of the mass, so the 2.5% and 97.5% quantiles are exactly 2 and 9.
    const interval = bootstrapMean([2, 4, 9], { resamples: 4000, seed: 3 });
    expect(interval).toMatchObject({ n: 3, mean: 5, low: 2, high: 9 });
    // The mean of [1, 3] resampled is 1, 2 or 3 with chances 1/4, 1/2, 1/4.
    const means = resampleMeans([1, 3], 4000, 5);
    const share = (value: number): number => means.filter((item) => item === value).length / means.length;
    expect(share(2)).toBeGreaterThan(0.46);
    expect(share(2)).toBeLessThan(0.54);
    expect(share(1) + share(2) + share(3)).toBe(1);
    expect(bootstrapMean([1, 3], { resamples: 4000, seed: 5 })).toMatchObject({ low: 1, high: 3 });
  });

  it('resampling is seeded: the same values and seed, the same interval; one value, no spread', () => {
    const values = [0.21, 0.19, 0.25, 0.22, 0.2];
    expect(bootstrapMean(values, { seed: 9 })).toEqual(bootstrapMean(values, { seed: 9 }));
    expect(bootstrapMean([4])).toEqual({ n: 1, mean: 4, low: 4, high: 4, sd: 0 });
  });

  it('pairs by key and sizes experiments by the usual normal formula', () => {
    expect(
      pairedDifferences(
        new Map([
          ['a', 1],
          ['b', 2],
        ]),
        new Map([
          ['a', 3],
          ['b', 2],
          ['c', 5],
        ]),
      ),
    ).toEqual([2, 0]);
    // ((1.959964 + 0.841621) × 1 / 1)² = 7.849 → 8 seeds; half the difference, four times as many (31.4 → 32).
    expect(seedsToDetect({ sd: 1, difference: 1 })).toBe(8);
    expect(seedsToDetect({ sd: 1, difference: 0.5 })).toBe(32);
    expect(seedsToDetect({ sd: 0, difference: 1 })).toBe(2);
  });

  it('paired intervals are those of the per-seed differences', () => {
    const row = (design: string, seed: number, costUsd: number): ResultRecord =>
      ({ design, seed, repetition: 1, status: 'done', costUsd }) as unknown as ResultRecord;
    const rows = [row('a', 1, 1), row('a', 2, 2), row('a', 3, 3), row('b', 1, 2), row('b', 2, 4), row('b', 3, 9)];
    const stats = experimentStats(rows, { resamples: 4000 });
    expect(stats.baseline).toBe('a');
    expect(stats.designs.map((design) => design.metrics.costUsd?.mean)).toEqual([2, 5]);
    // b − a per seed: 1, 2, 6 → as [2, 4, 9] shifted: mean 3, interval from min 1 to max 6.
    expect(stats.paired[0]?.metrics.costUsd).toMatchObject({ n: 3, mean: 3, low: 1, high: 6 });
  });
});
