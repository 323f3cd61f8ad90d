/** `experiment report`: statistics of an experiment's rows as report.md, an HTML page and SVG charts in its directory. */
import { join } from 'node:path';
import { writeFileAtomic } from '../files/index.js';
import { xmlText } from '../report/index.js';
import type { BootstrapOptions, Interval } from './bootstrap.js';
import { distributionChart, formatValue, METRIC_LABELS, paretoChart } from './experiment-charts.js';
import { type ExperimentStats, experimentStats, readResults } from './experiment-stats.js';
import type { MetricColumn, ResultRow } from './result-row.js';

/** The metrics of the report's tables and distribution charts (those the rows have). */
const TABLE_METRICS: readonly MetricColumn[] = [
  'costUsd',
  'defectsEscaped',
  'defectsCaught',
  'escapeRate',
  'parallelMs',
  'calls',
  'tasksFailed',
  'blockers',
];
const CHART_METRICS: readonly MetricColumn[] = ['costUsd', 'defectsEscaped', 'parallelMs', 'calls'];

/** The files a report leaves. */
export interface ExperimentReportFiles {
  markdown: string;
  html: string;
  charts: string[];
}

/** "mean [low, high]". */
export function formatInterval(interval: Interval | undefined): string {
  if (interval === undefined) return 'n/a';
  return `${formatValue(interval.mean)} [${formatValue(interval.low)}, ${formatValue(interval.high)}]`;
}

/** A paired difference: signed "mean [low, high]", with " *" when the interval excludes 0. */
export function formatDifference(interval: Interval | undefined): string {
  if (interval === undefined) return 'n/a';
  const excludesZero = interval.low > 0 || interval.high < 0;
  return `${interval.mean > 0 ? '+' : ''}${formatInterval(interval)}${excludesZero ? ' *' : ''}`;
}

function shownMetrics(stats: ExperimentStats, wanted: readonly MetricColumn[]): MetricColumn[] {
  return wanted.filter((metric) => stats.designs.some((design) => design.metrics[metric] !== undefined));
}

/** The metrics of the report's tables, in order: those of TABLE_METRICS the rows have. */
export function reportMetrics(stats: ExperimentStats): MetricColumn[] {
  return shownMetrics(stats, TABLE_METRICS);
}

/** One chart of a report: its file name, its alternative text and the SVG. */
export interface ReportChart {
  file: string;
  alt: string;
  svg: string;
}

/** The report's charts: the Pareto chart, then the distribution of each charted metric the rows have. */
export function reportCharts(input: { stats: ExperimentStats; rows: readonly ResultRow[] }): ReportChart[] {
  const { stats, rows } = input;
  return [
    { file: 'pareto.svg', alt: 'Cost against quality by design, with the Pareto front', svg: paretoChart(stats) },
    ...shownMetrics(stats, CHART_METRICS).map((metric) => ({
      file: `distribution-${metric}.svg`,
      alt: `${METRIC_LABELS[metric]} by design`,
      svg: distributionChart({ metric, rows, stats }),
    })),
  ];
}

/** The per-design table: runs, statuses and each metric's mean with its interval (Markdown). */
export function designTable(stats: ExperimentStats, metrics: readonly MetricColumn[] = shownMetrics(stats, TABLE_METRICS)): string {
  const header = ['design', 'runs', 'statuses', ...metrics.map((metric) => METRIC_LABELS[metric])];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const design of stats.designs) {
    const statuses = Object.entries(design.statuses)
      .map(([status, count]) => `${count} ${status}`)
      .join(', ');
    lines.push(
      `| ${[design.design, String(design.runs), statuses, ...metrics.map((metric) => formatInterval(design.metrics[metric]))].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** The paired table: each design minus the baseline on shared seeds (Markdown). */
export function pairedTable(stats: ExperimentStats, metrics: readonly MetricColumn[] = shownMetrics(stats, TABLE_METRICS)): string {
  const header = [`design − ${stats.baseline}`, 'pairs', ...metrics.map((metric) => `Δ ${METRIC_LABELS[metric]}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const paired of stats.paired) {
    lines.push(
      `| ${[paired.design, String(paired.pairs), ...metrics.map((metric) => formatDifference(paired.metrics[metric]))].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

function markdown(input: { stats: ExperimentStats; rows: readonly ResultRow[]; charts: { file: string; alt: string }[] }): string {
  const { stats } = input;
  const seeds = new Set(input.rows.map((row) => row.seed)).size;
  return [
    '# Experiment report',
    '',
    `${input.rows.length} runs of ${stats.designs.length} designs on ${seeds} seeds. Intervals are ${Math.round(stats.confidence * 100)}% percentile bootstrap intervals of the mean (${stats.resamples} seeded resamples: the same rows give the same intervals).`,
    '',
    '## Designs',
    '',
    designTable(stats),
    '',
    `## Paired differences with ${stats.baseline}`,
    '',
    'Each design minus the baseline, run by run on the seeds both ran; `*` marks an interval that excludes 0.',
    '',
    pairedTable(stats),
    '',
    '## Charts',
    '',
    ...input.charts.flatMap((chart) => [`![${chart.alt}](${chart.file})`, '']),
    'Defects come from the sim\'s quality model (README, "Quality model"); real runs leave those columns empty.',
    '',
  ].join('\n');
}

function markdownTableToHtml(table: string): string {
  const [header, , ...body] = table.split('\n');
  const cells = (line: string | undefined): string[] => (line ?? '').replace(/^\| | \|$/g, '').split(' | ');
  return [
    '<table>',
    `<thead><tr>${cells(header)
      .map((cell) => `<th>${xmlText(cell)}</th>`)
      .join('')}</tr></thead>`,
    '<tbody>',
    ...body.map(
      (line) =>
        `<tr>${cells(line)
          .map((cell) => `<td>${xmlText(cell)}</td>`)
          .join('')}</tr>`,
    ),
    '</tbody>',
    '</table>',
  ].join('\n');
}

function html(input: { stats: ExperimentStats; svgs: string[]; title: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${xmlText(input.title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}th{background:#f4f4f4}figure{margin:1rem 0}</style>',
    '</head>',
    '<body>',
    `<h1>${xmlText(input.title)}</h1>`,
    `<p>Means with ${Math.round(input.stats.confidence * 100)}% bootstrap intervals (${input.stats.resamples} seeded resamples).</p>`,
    '<h2>Designs</h2>',
    markdownTableToHtml(designTable(input.stats)),
    `<h2>Paired differences with ${xmlText(input.stats.baseline)}</h2>`,
    '<p>Each design minus the baseline on shared seeds; * marks an interval that excludes 0.</p>',
    markdownTableToHtml(pairedTable(input.stats)),
    '<h2>Charts</h2>',
    ...input.svgs.map((svg) => `<figure>${svg.replace(/^<\?xml[^>]*>/, '')}</figure>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Reads `dir`'s results, computes the statistics and writes report.md, report.html and the charts there. */
export async function writeExperimentReport(input: {
  dir: string;
  baseline?: string | undefined;
  bootstrap?: BootstrapOptions | undefined;
}): Promise<{ stats: ExperimentStats; files: ExperimentReportFiles; rows: ResultRow[] }> {
  const rows = await readResults(input.dir);
  const stats = experimentStats(rows, { ...input.bootstrap, baseline: input.baseline });
  const charts = reportCharts({ stats, rows });
  for (const chart of charts) await writeFileAtomic(join(input.dir, chart.file), chart.svg);
  const files: ExperimentReportFiles = {
    markdown: join(input.dir, 'report.md'),
    html: join(input.dir, 'report.html'),
    charts: charts.map((chart) => join(input.dir, chart.file)),
  };
  await writeFileAtomic(files.markdown, markdown({ stats, rows, charts }));
  await writeFileAtomic(files.html, html({ stats, svgs: charts.map((chart) => chart.svg), title: 'Experiment report' }));
  return { stats, files, rows };
}
