/** The experiment report's SVG charts: cost against quality (a Pareto chart) and each metric's distribution by design. */
import { SERIES_COLOURS, shortText, svgDocument, xmlText } from '../report/index.js';
import type { Interval } from './bootstrap.js';
import type { ExperimentStats } from './experiment-stats.js';
import type { MetricColumn, ResultRow } from './result-row.js';

/** How a metric reads in charts and tables. */
export const METRIC_LABELS: Readonly<Record<MetricColumn, string>> = {
  costUsd: 'Cost (USD)',
  inputTokens: 'Input tokens',
  outputTokens: 'Output tokens',
  cacheReadTokens: 'Cache read tokens',
  cacheWriteTokens: 'Cache write tokens',
  reasoningTokens: 'Reasoning tokens',
  totalTokens: 'Tokens',
  calls: 'Model calls',
  repairs: 'Repairs',
  parallelMs: 'Model time on the team (ms)',
  sequentialMs: 'Model time one after another (ms)',
  speedup: 'Speedup',
  tasksTotal: 'Tasks',
  tasksDone: 'Tasks done',
  tasksFailed: 'Tasks failed',
  tasksCancelled: 'Tasks cancelled',
  blockers: 'Blockers',
  blockerLoops: 'Blocker loops',
  gateBlocks: 'Gate blocks',
  testFailures: 'Test failures',
  defectsIntroduced: 'Defects introduced',
  defectsCaught: 'Defects caught',
  defectsEscaped: 'Defects escaped',
  escapeRate: 'Escape rate',
};

const colourOf = (index: number): string => SERIES_COLOURS[index % SERIES_COLOURS.length] as string;

/** A round number of the value's size, for axis labels. */
export function formatValue(value: number): string {
  if (value === 0) return '0';
  const size = Math.abs(value);
  if (size >= 1000) return Math.round(value).toLocaleString('en-US');
  if (size >= 10) return value.toFixed(1);
  if (size >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

function scale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain[0] === domain[1] ? [domain[0] - 1, domain[1] + 1] : domain;
  return (value) => range[0] + ((value - d0) / (d1 - d0)) * (range[1] - range[0]);
}

function padded(values: readonly number[]): [number, number] {
  const low = Math.min(...values);
  const high = Math.max(...values);
  const pad = (high - low) * 0.08 || Math.abs(high) * 0.1 || 1;
  return [Math.max(0, low - pad) === 0 && low >= 0 ? Math.max(0, low - pad) : low - pad, high + pad];
}

function axisTicks(domain: [number, number], count = 5): number[] {
  return Array.from({ length: count }, (_, index) => domain[0] + ((domain[1] - domain[0]) * index) / (count - 1));
}

/** The designs no other design beats on both axes (lower is better on each). */
export function paretoFront(points: readonly { design: string; x: number; y: number }[]): string[] {
  return points
    .filter(
      (point) =>
        !points.some((other) => other !== point && other.x <= point.x && other.y <= point.y && (other.x < point.x || other.y < point.y)),
    )
    .map((point) => point.design);
}

/** Cost against escaped defects (or model time when no quality is known): each design's mean with its intervals, the Pareto front joined. */
export function paretoChart(stats: ExperimentStats): string {
  const yMetric: MetricColumn = stats.designs.some((design) => design.metrics.defectsEscaped !== undefined)
    ? 'defectsEscaped'
    : 'parallelMs';
  const points = stats.designs.flatMap((design, index) => {
    const x = design.metrics.costUsd;
    const y = design.metrics[yMetric];
    return x === undefined || y === undefined ? [] : [{ design: design.design, index, x, y }];
  });
  const width = 640;
  const height = 420;
  const margin = { left: 70, right: 30, top: 40, bottom: 60 };
  const xDomain = padded(points.flatMap((point) => [point.x.low, point.x.high]));
  const yDomain = padded(points.flatMap((point) => [point.y.low, point.y.high]));
  const x = scale(xDomain, [margin.left, width - margin.right]);
  const y = scale(yDomain, [height - margin.bottom, margin.top]);
  const body: string[] = [];
  for (const tick of axisTicks(xDomain)) {
    body.push(`<line x1="${x(tick)}" y1="${margin.top}" x2="${x(tick)}" y2="${height - margin.bottom}" stroke="#eeeeee"/>`);
    body.push(`<text x="${x(tick)}" y="${height - margin.bottom + 16}" text-anchor="middle">${xmlText(formatValue(tick))}</text>`);
  }
  for (const tick of axisTicks(yDomain)) {
    body.push(`<line x1="${margin.left}" y1="${y(tick)}" x2="${width - margin.right}" y2="${y(tick)}" stroke="#eeeeee"/>`);
    body.push(`<text x="${margin.left - 6}" y="${y(tick) + 4}" text-anchor="end">${xmlText(formatValue(tick))}</text>`);
  }
  body.push(
    `<text x="${(margin.left + width - margin.right) / 2}" y="${height - 16}" text-anchor="middle">${xmlText(`${METRIC_LABELS.costUsd}, mean and 95% interval`)}</text>`,
  );
  body.push(
    `<text transform="translate(16 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">${xmlText(`${METRIC_LABELS[yMetric]} (lower is better)`)}</text>`,
  );
  const front = new Set(paretoFront(points.map((point) => ({ design: point.design, x: point.x.mean, y: point.y.mean }))));
  const frontPoints = points.filter((point) => front.has(point.design)).sort((a, b) => a.x.mean - b.x.mean);
  if (frontPoints.length > 1) {
    const path = frontPoints.map((point) => `${x(point.x.mean).toFixed(1)},${y(point.y.mean).toFixed(1)}`).join(' ');
    body.push(`<polyline points="${path}" fill="none" stroke="#888888" stroke-dasharray="5 4"/>`);
  }
  for (const point of points) {
    const colour = colourOf(point.index);
    const cx = x(point.x.mean);
    const cy = y(point.y.mean);
    body.push(`<g class="design" data-design="${xmlText(point.design)}">`);
    body.push(`<line x1="${x(point.x.low)}" y1="${cy}" x2="${x(point.x.high)}" y2="${cy}" stroke="${colour}" stroke-width="2"/>`);
    body.push(`<line x1="${cx}" y1="${y(point.y.low)}" x2="${cx}" y2="${y(point.y.high)}" stroke="${colour}" stroke-width="2"/>`);
    body.push(
      `<circle cx="${cx}" cy="${cy}" r="6" fill="${front.has(point.design) ? colour : '#ffffff'}" stroke="${colour}" stroke-width="2"/>`,
    );
    body.push(`<text x="${cx + 9}" y="${cy - 9}" fill="${colour}">${xmlText(shortText(point.design, 28))}</text>`);
    body.push('</g>');
  }
  body.push(
    `<text x="${margin.left}" y="22" font-weight="bold">${xmlText(`Cost against ${METRIC_LABELS[yMetric].toLowerCase()}: filled designs are on the Pareto front`)}</text>`,
  );
  return svgDocument({ width, height, title: `Pareto chart: cost against ${METRIC_LABELS[yMetric]} by design`, body });
}

/** One metric's runs by design: a dot per run, the mean and its 95% interval as a bar. */
export function distributionChart(input: { metric: MetricColumn; rows: readonly ResultRow[]; stats: ExperimentStats }): string {
  const { metric } = input;
  const designs = input.stats.designs.map((design) => design.design);
  const rowHeight = 46;
  const width = 640;
  const margin = { left: 150, right: 30, top: 40, bottom: 40 };
  const height = margin.top + margin.bottom + rowHeight * designs.length;
  const values = input.rows.flatMap((row) => (typeof row[metric] === 'number' ? [row[metric] as number] : []));
  const domain = padded(values.length === 0 ? [0, 1] : values);
  const x = scale(domain, [margin.left, width - margin.right]);
  const body: string[] = [];
  for (const tick of axisTicks(domain)) {
    body.push(`<line x1="${x(tick)}" y1="${margin.top}" x2="${x(tick)}" y2="${height - margin.bottom}" stroke="#eeeeee"/>`);
    body.push(`<text x="${x(tick)}" y="${height - margin.bottom + 16}" text-anchor="middle">${xmlText(formatValue(tick))}</text>`);
  }
  designs.forEach((design, index) => {
    const colour = colourOf(index);
    const top = margin.top + index * rowHeight;
    const centre = top + rowHeight / 2;
    body.push(`<g class="design" data-design="${xmlText(design)}">`);
    body.push(`<text x="${margin.left - 8}" y="${centre + 4}" text-anchor="end">${xmlText(shortText(design, 22))}</text>`);
    const runs = input.rows.filter((row) => row.design === design && typeof row[metric] === 'number');
    runs.forEach((row, runIndex) => {
      // Spread the dots vertically by run order, so equal values stay visible.
      const offset = ((runIndex % 7) - 3) * 3;
      body.push(
        `<circle cx="${x(row[metric] as number).toFixed(1)}" cy="${(centre + offset).toFixed(1)}" r="3" fill="${colour}" fill-opacity="0.45"/>`,
      );
    });
    const interval: Interval | undefined = input.stats.designs[index]?.metrics[metric];
    if (interval !== undefined) {
      body.push(
        `<rect x="${x(interval.low).toFixed(1)}" y="${top + 6}" width="${Math.max(1, x(interval.high) - x(interval.low)).toFixed(1)}" height="${rowHeight - 12}" fill="${colour}" fill-opacity="0.15" stroke="${colour}"/>`,
      );
      body.push(
        `<line x1="${x(interval.mean).toFixed(1)}" y1="${top + 4}" x2="${x(interval.mean).toFixed(1)}" y2="${top + rowHeight - 4}" stroke="${colour}" stroke-width="3"/>`,
      );
    }
    body.push('</g>');
  });
  body.push(
    `<text x="${margin.left}" y="22" font-weight="bold">${xmlText(`${METRIC_LABELS[metric]} by design: runs, mean and 95% interval`)}</text>`,
  );
  return svgDocument({ width, height, title: `${METRIC_LABELS[metric]} by design`, body });
}
