/** The page of one run: money, the plan as a graph, the board by status, the agents, the timeline and its blockers. */
import type { TeamConfig } from '../config/index.js';
import { costChart, planDiagram, pricedSummary, runSchedule, timelineChart } from '../report/index.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';
import { budgetGauge, costOverTime, usd } from './dashboard-charts.js';
import { type CostForecast, forecastRemainingCost } from './cost-forecast.js';
import { html, type SafeHtml, trusted, uiHref } from './dashboard-html.js';

/** The board's columns, in the order work moves through them. */
export const BOARD_COLUMNS = ['pending', 'ready', 'in_progress', 'blocked', 'review', 'done', 'failed', 'cancelled'] as const;

/** How long ago `at` was, said briefly ("4 s ago"); "never" for null. */
export function ago(at: string | null, now: Date): string {
  if (at === null) return 'never';
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** Wall time of the run so far (or in all, once ended). */
export function elapsed(state: TeamState, now: Date): string {
  const end = state.run.endedAt === null ? now.getTime() : Date.parse(state.run.endedAt);
  const seconds = Math.max(0, (end - Date.parse(state.run.createdAt)) / 1000);
  return seconds < 120 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** The first line of a feature, short enough for a heading. */
export function featureHeadline(feature: string): string {
  const first = feature.trim().split('\n')[0] ?? '';
  return first.length > 120 ? `${first.slice(0, 119)}…` : first;
}

/** A link to the transcript of `agent`, narrowed to `task` when given. */
export function transcriptHref(runId: string, agent: string, task?: string | undefined): string {
  return uiHref(`/runs/${encodeURIComponent(runId)}/agents/${encodeURIComponent(agent)}`, { task });
}

/** The forecast figures: what is left to spend and the total it makes against the cap. */
function forecastFigures(forecast: CostForecast): SafeHtml {
  const { remainingUsd, totalUsd, capUsd } = forecast;
  const left = `${forecast.tasksLeft} task${forecast.tasksLeft === 1 ? '' : 's'} left`;
  const remaining =
    remainingUsd === null
      ? html`<dd id="forecast" data-state="none">no estimate yet <span class="meta">(no task finished; ${left})</span></dd>`
      : forecast.tasksLeft === 0
        ? html`<dd id="forecast" data-state="done" data-usd="${remainingUsd}">${usd(0)} <span class="meta">(no task left)</span></dd>`
        : html`<dd id="forecast" data-state="estimate" data-usd="${remainingUsd}">${usd(remainingUsd)} <span class="meta">(${left}; ${FORECAST_METHOD[forecast.method ?? 'per-task']})</span></dd>`;
  const total =
    totalUsd === null
      ? html`<dd id="forecast-total">—</dd>`
      : html`<dd id="forecast-total" data-usd="${totalUsd}">${usd(totalUsd)}${capUsd === null ? ' (no cap)' : ` of ${usd(capUsd)} cap`}</dd>`;
  return html`<div><dt>Forecast to finish</dt>${remaining}</div>
<div><dt>Forecast total</dt>${total}</div>`;
}

/** Said when the forecast total is above the cap: the run is likely to stop there with work left. */
function forecastWarning(forecast: CostForecast): SafeHtml | '' {
  const { totalUsd, capUsd } = forecast;
  if (!forecast.exceedsCap || totalUsd === null || capUsd === null) return '';
  const work = forecast.tasksLeft === 0 ? 'it has spent more than the cap' : 'the run is likely to stop at the cap with work left';
  return html`<p class="warning" id="forecast-warning"><strong>Over the cap:</strong> the forecast total ${usd(totalUsd)} is above the cap of ${usd(capUsd)}: ${work}. Raise the cap (<code>run --resume --budget-usd</code>, or <code>budget.max_usd</code> in the config) or cut the plan.</p>`;
}

/** How each estimator reads on the page. */
const FORECAST_METHOD: Record<NonNullable<CostForecast['method']>, string> = {
  'by-complexity': 'from finished tasks of each complexity',
  'per-task': 'spend per finished task',
};

function money(input: { config: TeamConfig; state: TeamState; ledger: readonly LedgerEntry<LedgerEvent>[] }): SafeHtml {
  const { state } = input;
  const summary = pricedSummary(input);
  const saved = summary.topTierCostUsd - summary.costUsd;
  const forecast = forecastRemainingCost({
    tasks: state.tasks,
    ledger: input.ledger,
    spentUsd: state.budget.spentUsd,
    capUsd: state.budget.limitUsd,
  });
  return html`<h2>Money</h2>
${budgetGauge(state.budget, forecast.tasksLeft === 0 ? null : forecast.remainingUsd)}
<dl class="figures">
<div><dt>Spent</dt><dd id="cost-total" data-usd="${summary.costUsd}">${usd(summary.costUsd)}</dd></div>
<div><dt>Reserved</dt><dd>${usd(state.budget.reservedUsd)}</dd></div>
<div><dt>Cap</dt><dd>${state.budget.limitUsd === null ? 'none' : usd(state.budget.limitUsd)}</dd></div>
${forecastFigures(forecast)}
<div><dt>All on the top tier</dt><dd id="top-tier">${usd(summary.topTierCostUsd)} (${saved >= 0 ? 'saved' : 'over'} ${usd(Math.abs(saved))})</dd></div>
<div><dt>Cache-read share</dt><dd id="cache-share">${(summary.cacheHitRatio * 100).toFixed(1)}%</dd></div>
<div><dt>Calls</dt><dd>${summary.calls}</dd></div>
<div><dt>Tokens</dt><dd>${summary.tokens.total}</dd></div>
</dl>
${forecastWarning(forecast)}
<div class="pictures">
<figure><figcaption>Cost by agent</figcaption>${trusted(costChart({ lines: summary.byAgent, title: `Cost by agent (${usd(summary.costUsd)})` }))}</figure>
<figure id="cost-time-model"><figcaption>Cost over time by model</figcaption>${costOverTime(input.ledger, 'model')}</figure>
<figure id="cost-time-agent"><figcaption>Cost over time by agent</figcaption>${costOverTime(input.ledger, 'agent')}</figure>
</div>`;
}

function board(runId: string, state: TeamState): SafeHtml {
  const columns = BOARD_COLUMNS.map((status) => {
    const tasks = state.tasks.filter((task) => task.status === status);
    const cards = tasks.map(
      (task) => html`<li class="card" data-task-id="${task.id}">
${task.assignee === null ? html`<strong>${task.id}</strong> ${task.title}` : html`<a href="${transcriptHref(runId, task.assignee, task.id)}"><strong>${task.id}</strong> ${task.title}</a>`}
<span class="meta">${task.role}${task.assignee === null ? '' : ` · ${task.assignee}`} · ${task.complexity}</span></li>`,
    );
    return html`<div class="column" data-status="${status}"><h3>${status.replace('_', ' ')} <span class="count">${tasks.length}</span></h3>
<ul>${cards}</ul></div>`;
  });
  return html`<h2>Board</h2><div class="board">${columns}</div>`;
}

function agents(runId: string, state: TeamState, now: Date): SafeHtml {
  const rows = Object.values(state.agents).map(
    (agent) => html`<tr data-agent-id="${agent.id}"><th scope="row"><a href="${transcriptHref(runId, agent.id)}">${agent.id}</a></th>
<td>${agent.role}</td><td>${agent.model}</td><td>${agent.status}</td>
<td>${agent.activeTasks.map((id, index) => html`${index > 0 ? ', ' : ''}<a href="${transcriptHref(runId, agent.id, id)}">${id}</a>`)}</td>
<td><time datetime="${agent.heartbeatAt ?? ''}">${ago(agent.heartbeatAt, now)}</time></td><td>${agent.calls}</td><td>${usd(agent.costUsd)}</td></tr>`,
  );
  return html`<h2>Agents</h2><div class="scroll"><table><thead><tr><th>Agent</th><th>Role</th><th>Model</th><th>Status</th><th>Current task</th><th>Heartbeat</th><th>Calls</th><th>Cost</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function blockers(state: TeamState): SafeHtml {
  if (state.blockers.length === 0) return html`<h2>Blockers</h2><p class="empty">No blockers raised.</p>`;
  const items = state.blockers.map(
    (
      blocker,
    ) => html`<li data-blocker-id="${blocker.id}" data-status="${blocker.status}"><strong>${blocker.id}</strong> on ${blocker.taskId} (${blocker.status}): ${blocker.question}
${blocker.resolution === null ? '' : html`<br><span class="meta">answer by ${blocker.resolvedBy ?? 'someone'}: ${blocker.resolution}</span>`}</li>`,
  );
  return html`<h2>Blockers</h2><ul class="blockers">${items}</ul><p><a href="${uiHref('/blockers')}">Answer open blockers</a></p>`;
}

/** The body of a run's page; every section a live part the page's script refreshes. */
export function runPage(input: {
  id: string;
  status: string;
  config: TeamConfig;
  state: TeamState | null;
  ledger: readonly LedgerEntry<LedgerEvent>[];
  now: Date;
}): SafeHtml {
  const { id, state, ledger, now } = input;
  const links = html`<p class="links"><a href="${uiHref(`/runs/${encodeURIComponent(id)}/ledger`)}">Ledger</a>
<a href="${uiHref('/compare', { a: id })}">Compare with another run</a></p>`;
  if (state === null)
    return html`<h1>Run ${id}</h1><section id="overview" data-live><p>Status <span class="status" data-status="${input.status}">${input.status}</span>: no plan yet.</p></section>${links}`;
  const schedule = runSchedule(state, ledger);
  return html`<h1>${featureHeadline(state.run.feature)}</h1>
<details class="feature"><summary>The feature as submitted</summary><pre>${state.run.feature}</pre></details>
<section id="overview" data-live><p><span class="status" data-status="${input.status}">${input.status}</span>
run ${state.run.id} · ${state.tasks.length} tasks · ${elapsed(state, now)} · ${state.run.simulated ? 'simulated' : state.run.options.provider}
${state.run.endReason === null ? '' : html` · ${state.run.endReason}`}</p></section>
${links}
<section id="money" data-live>${money({ config: input.config, state, ledger })}</section>
<section id="plan" data-live><h2>Plan</h2><div class="scroll">${trusted(planDiagram(state, 'svg'))}</div></section>
<section id="board" data-live>${board(id, state)}</section>
<section id="agents" data-live>${agents(id, state, now)}</section>
<section id="timeline" data-live><h2>Timeline</h2><div class="scroll">${trusted(timelineChart({ spans: schedule.spans, makespanMs: schedule.makespanMs, title: 'What each agent did when (model time)' }))}</div></section>
<section id="run-blockers" data-live>${blockers(state)}</section>`;
}
