/**
 * The dashboard's experiment pages: the experiments found in its folders, and one experiment with what
 * `agent-team experiment report` computes from the same rows (means with bootstrap intervals, paired
 * differences with the baseline, the Pareto and distribution charts), how far it got and what it spent.
 */
import {
  type ExperimentDetail,
  type ExperimentOverview,
  formatDifference,
  formatInterval,
  type Interval,
  METRIC_LABELS,
} from '../experiment/index.js';
import { usd } from './dashboard-charts.js';
import { html, type SafeHtml, trusted, uiHref } from './dashboard-html.js';
import { featureHeadline } from './dashboard-run-page.js';

/** An experiment as the list shows it: its id and its overview. */
export interface ExperimentLine {
  readonly id: string;
  readonly overview: ExperimentOverview;
}

/** The address of an experiment's page. */
export function experimentHref(id: string): string {
  return uiHref(`/experiments/${encodeURIComponent(id)}`);
}

/** A table that scrolls sideways on a narrow screen, reachable by keyboard to scroll it. */
function scroller(label: string, table: SafeHtml): SafeHtml {
  return html`<div class="scroll" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}

function failedCells(overview: ExperimentOverview): number {
  return Object.values(overview.cellsFailed).reduce((sum, count) => sum + count, 0);
}

function cellsText(overview: ExperimentOverview): string {
  const planned = overview.cellsPlanned === null ? '' : ` of ${overview.cellsPlanned}`;
  return `${overview.cellsFinished}${planned} · ${overview.cellsDone} done, ${failedCells(overview)} failed`;
}

function spendText(overview: ExperimentOverview): string {
  return `${usd(overview.spentUsd)}${overview.budgetUsd === null ? '' : ` of ${usd(overview.budgetUsd)}`}`;
}

function updated(at: string | null): SafeHtml | string {
  return at === null ? '' : html`<time datetime="${at}">${at.slice(0, 19).replace('T', ' ')}</time>`;
}

/** The experiments of the dashboard's folders, newest results first. */
export function experimentsPage(input: { lines: readonly ExperimentLine[]; roots: readonly string[] }): SafeHtml {
  const lines = [...input.lines].sort((a, b) => (b.overview.updatedAt ?? '').localeCompare(a.overview.updatedAt ?? ''));
  const rows = lines.map(
    ({ id, overview }) => html`<tr data-experiment-id="${id}">
<th scope="row"><a class="experiment-link" href="${experimentHref(id)}">${id}</a>${overview.feature === null ? '' : html`<br><span class="meta">${featureHeadline(overview.feature)}</span>`}</th>
<td><span class="status" data-status="${overview.progress}">${overview.progress.replace('_', ' ')}</span>${overview.problem === null ? '' : html` <span class="error">unreadable</span>`}</td>
<td>${overview.designs.length}: ${overview.designs.join(', ')}</td>
<td>${cellsText(overview)}</td>
<td>${spendText(overview)}</td>
<td>${updated(overview.updatedAt)}</td></tr>`,
  );
  const roots = input.roots.map((root, index) => html`${index > 0 ? ', ' : ''}<code>${root}</code>`);
  const table = html`<table class="experiments"><thead><tr><th>Experiment</th><th>Status</th><th>Designs</th><th>Cells finished · done, failed</th><th>Spend</th><th>Updated</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  return html`<h1>Experiments</h1>
<section id="experiments" data-live><p class="meta">${lines.length} experiment${lines.length === 1 ? '' : 's'} in ${roots}</p>
${
  lines.length === 0
    ? html`<p class="empty">No experiment here yet. <code>agent-team experiment run FILE</code> writes one to <code>experiments/&lt;name&gt;/</code> beside the file; <code>agent-team serve --experiments DIR</code> looks in another folder.</p>`
    : scroller('Experiments', table)
}</section>`;
}

/** A mean with its interval as a cell, the figures in data attributes; a difference says whether it excludes 0. */
function intervalCell(input: { metric: string; interval: Interval | undefined; text: string; difference: boolean }): SafeHtml {
  const { metric, interval, text } = input;
  if (interval === undefined) return html`<td data-metric="${metric}">${text}</td>`;
  const excludesZero = input.difference && (interval.low > 0 || interval.high < 0);
  // The mean over its interval, so a narrow column reads them apart; the cell's text stays the report's.
  const at = text.indexOf(' [');
  const shown = at === -1 ? text : html`${text.slice(0, at)} <span class="ci">${text.slice(at + 1)}</span>`;
  return html`<td class="interval" data-metric="${metric}" data-n="${interval.n}" data-mean="${interval.mean}" data-low="${interval.low}" data-high="${interval.high}"${excludesZero ? html` data-excludes-zero` : ''}>${shown}</td>`;
}

function overviewPart(overview: ExperimentOverview): SafeHtml {
  const failed = Object.entries(overview.cellsFailed).map(([status, count]) => `${count} ${status.replace('_', ' ')}`);
  const notRun = overview.cellsPlanned === null ? null : overview.cellsPlanned - overview.cellsFinished;
  return html`<p><span class="status" data-status="${overview.progress}">${overview.progress.replace('_', ' ')}</span>
<span class="meta">· <code>${overview.dir}</code>${overview.updatedAt === null ? '' : html` · results written ${updated(overview.updatedAt)}`}</span></p>
<dl class="figures">
<div><dt>Cells planned</dt><dd id="cells-planned">${overview.cellsPlanned ?? 'unknown (no experiment.json)'}</dd></div>
<div><dt>Finished</dt><dd id="cells-finished">${overview.cellsFinished}</dd></div>
<div><dt>Done</dt><dd id="cells-done">${overview.cellsDone}</dd></div>
<div><dt>Failed</dt><dd id="cells-failed" data-count="${failedCells(overview)}">${failedCells(overview)}${failed.length === 0 ? '' : html` <span class="meta">(${failed.join(', ')})</span>`}</dd></div>
<div><dt>Not run</dt><dd id="cells-not-run">${notRun ?? '—'}${overview.cellsSkippedForBudget === 0 ? '' : html` <span class="meta">(${overview.cellsSkippedForBudget} skipped: budget spent)</span>`}</dd></div>
<div><dt>Total spend</dt><dd id="experiment-spend" data-usd="${overview.spentUsd}">${spendText(overview)}</dd></div>
</dl>
${overview.problem === null ? '' : html`<p class="warning" id="experiment-problem">The results cannot be read: ${overview.problem}</p>`}`;
}

/** One experiment: how far it got and, when its rows read, the report's tables and charts. */
export function experimentPage(input: { id: string; detail: ExperimentDetail }): SafeHtml {
  const { overview, analysis } = input.detail;
  const head = html`<h1>Experiment ${overview.name}</h1>
${overview.feature === null ? '' : html`<p class="feature">${overview.feature}</p>`}
<p class="links"><a href="${uiHref('/experiments')}">All experiments</a></p>
<section id="experiment-overview" data-live><h2>Progress and spend</h2>${overviewPart(overview)}</section>`;
  if (analysis === null) return head;
  const { stats, metrics, charts } = analysis;
  const confidence = `${Math.round(stats.confidence * 100)}%`;
  const labels = metrics.map((metric) => html`<th scope="col">${METRIC_LABELS[metric]}</th>`);
  const designRows = stats.designs.map(
    (
      design,
    ) => html`<tr data-design="${design.design}"><th scope="row">${design.design}</th><td data-runs="${design.runs}">${design.runs}</td>
<td>${Object.entries(design.statuses)
      .map(([status, count]) => `${count} ${status}`)
      .join(', ')}</td>
${metrics.map((metric) => intervalCell({ metric, interval: design.metrics[metric], text: formatInterval(design.metrics[metric]), difference: false }))}</tr>`,
  );
  const pairedRows = stats.paired.map(
    (paired) => html`<tr data-design="${paired.design}"><th scope="row">${paired.design}</th><td>${paired.pairs}</td>
${metrics.map((metric) => intervalCell({ metric, interval: paired.metrics[metric], text: formatDifference(paired.metrics[metric]), difference: true }))}</tr>`,
  );
  const designTable = html`<table class="designs"><caption class="meta">Mean [low, high] of each design's runs</caption>
<thead><tr><th scope="col">Design</th><th scope="col">Runs</th><th scope="col">Statuses</th>${labels}</tr></thead><tbody>${designRows}</tbody></table>`;
  const pairedTable = html`<table class="paired"><caption class="meta">Mean difference [low, high], design minus ${stats.baseline}</caption>
<thead><tr><th scope="col">Design</th><th scope="col">Pairs</th>${labels}</tr></thead><tbody>${pairedRows}</tbody></table>`;
  const figures = charts.map(
    (chart) =>
      html`<figure data-chart="${chart.file}"><figcaption>${chart.alt}</figcaption>${trusted(chart.svg.replace(/^<\?xml[^>]*>\s*/, ''))}</figure>`,
  );
  // While the experiment runs, its statistics are computed again every few seconds only (see experiment-details.ts).
  const covered = analysis.rows.length;
  const partial =
    covered === overview.cellsFinished
      ? ''
      : html`<p class="meta" id="statistics-cover">Statistics of ${covered} of the ${overview.cellsFinished} finished cells: while the experiment runs they are computed again every few seconds.</p>`;
  return html`${head}
<section id="designs" data-live><h2>Designs</h2>
<p class="meta">Each design's mean with its ${confidence} percentile bootstrap interval (${stats.resamples} seeded resamples), as <code>agent-team experiment report</code> computes them.</p>
${partial}
${scroller('Designs', designTable)}</section>
<section id="paired" data-live><h2>Paired differences with ${stats.baseline}</h2>
<p class="meta">Each design minus the baseline, run by run on the seeds both ran; * marks an interval that excludes 0.</p>
${stats.paired.length === 0 ? html`<p class="empty">Only one design: nothing to compare.</p>` : scroller('Paired differences', pairedTable)}</section>
<section id="charts" data-live><h2>Charts</h2><div class="pictures">${figures}</div></section>`;
}
