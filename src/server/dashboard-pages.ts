/** The dashboard's list pages: the runs, the open blockers with the form that answers one, and two runs side by side. */
import type { RunSummary } from '../report/index.js';
import type { TeamState } from '../state/index.js';
import { usd } from './dashboard-charts.js';
import { html, type SafeHtml, uiHref } from './dashboard-html.js';
import { elapsed, featureHeadline } from './dashboard-run-page.js';

/** One line of the runs list. */
export interface RunLine {
  readonly id: string;
  readonly status: string;
  readonly state: TeamState | null;
}

function costOf(state: TeamState | null): number {
  return Object.values(state?.agents ?? {}).reduce((sum, agent) => sum + agent.costUsd, 0);
}

function runHref(id: string): string {
  return uiHref(`/runs/${encodeURIComponent(id)}`);
}

/** The runs list with its filter (status, text in the id or feature). */
export function runsPage(input: { lines: readonly RunLine[]; status: string; search: string; now: Date }): SafeHtml {
  const { status, search, now } = input;
  const statuses = [...new Set([...input.lines.map((line) => line.status), ...(status === '' ? [] : [status])])].sort();
  const needle = search.trim().toLowerCase();
  const shown = input.lines.filter(
    (line) =>
      (status === '' || line.status === status) &&
      (needle === '' || `${line.id} ${line.state?.run.feature ?? ''}`.toLowerCase().includes(needle)),
  );
  const rows = shown.map(
    (line) => html`<tr data-run-id="${line.id}" data-status="${line.status}">
<th scope="row"><a class="run-link" href="${runHref(line.id)}">${line.id}</a></th>
<td><span class="status" data-status="${line.status}">${line.status}</span></td>
<td class="feature">${featureHeadline(line.state?.run.feature ?? '')}</td>
<td>${usd(costOf(line.state))}</td>
<td>${line.state === null ? '' : html`<time datetime="${line.state.run.createdAt}">${line.state.run.createdAt.slice(0, 19).replace('T', ' ')}</time> · ${elapsed(line.state, now)}`}</td></tr>`,
  );
  return html`<h1>Runs</h1>
<form class="filters" method="get" action="${uiHref('/')}" role="search">
<label>Status <select name="status"><option value="">any</option>${statuses.map((value) => html`<option value="${value}"${value === status ? html` selected` : ''}>${value}</option>`)}</select></label>
<label>Search <input type="search" name="q" value="${search}" placeholder="id or feature"></label>
<button type="submit">Filter</button></form>
<section id="runs" data-live><p class="meta">${shown.length} of ${input.lines.length} runs</p>
<div class="scroll"><table><thead><tr><th>Run</th><th>Status</th><th>Feature</th><th>Cost</th><th>Started · time</th></tr></thead>
<tbody>${rows}</tbody></table></div>${shown.length === 0 ? html`<p class="empty">No run matches.</p>` : ''}</section>`;
}

/** A blocker waiting for an answer, with where it comes from. */
export interface OpenBlocker {
  readonly runId: string;
  readonly answerable: boolean;
  readonly state: TeamState;
  readonly blocker: TeamState['blockers'][number];
}

/** Everything an agent wrote about the blocked task that helps answer: the task, its description and criteria. */
function blockerContext(state: TeamState, taskId: string): SafeHtml {
  const task = state.tasks.find((candidate) => candidate.id === taskId);
  if (task === undefined) return html``;
  return html`<details><summary>Context: ${task.id} ${task.title}</summary>
<p>${task.description}</p>
${task.acceptanceCriteria.length === 0 ? '' : html`<ul>${task.acceptanceCriteria.map((criterion) => html`<li>${criterion}</li>`)}</ul>`}
<p class="meta">${task.role} · ${task.assignee ?? 'unassigned'} · files ${task.files.join(', ') || 'none named'}</p></details>`;
}

/** A decision waiting for a person: a checkpoint, a manager's resolution to approve, a task held for review. */
export interface PendingApproval {
  readonly runId: string;
  readonly answerable: boolean;
  readonly approval: TeamState['run']['approvals'][number];
}

const READ_ONLY_NOTE = html`<p class="meta">Read-only here: answer it through the service, or let the manager resolve it.</p>`;

function blockerItem({ runId, answerable, state, blocker }: OpenBlocker): SafeHtml {
  const action = `/tasks/${encodeURIComponent(runId)}/blockers/${encodeURIComponent(blocker.id)}/resolve`;
  const form = answerable
    ? html`<form class="resolve" method="post" action="${action}" data-blocker-id="${blocker.id}">
<label>Answer <textarea name="resolution" required rows="3"></textarea></label>
<label>By <input name="by" autocomplete="email" placeholder="you@example.com"></label>
<button type="submit">Resolve</button> <output class="result" aria-live="polite"></output></form>`
    : READ_ONLY_NOTE;
  return html`<li class="blocker" data-run-id="${runId}" data-blocker-id="${blocker.id}">
<h2><a href="${uiHref(`/runs/${encodeURIComponent(runId)}`)}">${runId}</a> · ${blocker.id} on ${blocker.taskId}</h2>
<p class="meta">${blocker.kind} raised by ${blocker.raisedBy} at ${blocker.raisedAt} (${blocker.status.replace('_', ' ')})</p>
<blockquote class="question">${blocker.question}</blockquote>
${blockerContext(state, blocker.taskId)}
${form}</li>`;
}

function approvalItem({ runId, answerable, approval }: PendingApproval): SafeHtml {
  const action = `/tasks/${encodeURIComponent(runId)}/approvals/${encodeURIComponent(approval.id)}`;
  const form = answerable
    ? html`<form class="decide" method="post" action="${action}" data-approval-id="${approval.id}">
<label>Your answer or reason (optional) <textarea name="resolution" rows="2"></textarea></label>
<label>By <input name="by" autocomplete="email" placeholder="you@example.com"></label>
<span><button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="reject" class="secondary">Reject</button></span>
<output class="result" aria-live="polite"></output></form>`
    : READ_ONLY_NOTE;
  return html`<li class="blocker approval" data-run-id="${runId}" data-approval-id="${approval.id}">
<h2><a href="${uiHref(`/runs/${encodeURIComponent(runId)}`)}">${runId}</a> · ${approval.id}: ${approval.kind}${approval.checkpoint === null ? '' : ` ${approval.checkpoint}`}${approval.taskId === null ? '' : ` on ${approval.taskId}`}</h2>
<p class="meta">asked by ${approval.requestedBy} at ${approval.requestedAt}</p>
<blockquote class="question">${approval.question}</blockquote>
${approval.proposal === null ? '' : html`<p class="meta">The manager proposes: ${approval.proposal.kind.replace('_', ' ')}</p>`}
${form}</li>`;
}

/** The open blockers and pending approvals of every run; each answerable one with its form. */
export function blockersPage(input: { blockers: readonly OpenBlocker[]; approvals: readonly PendingApproval[] }): SafeHtml {
  const blockers = input.blockers.map(blockerItem);
  const approvals = input.approvals.map(approvalItem);
  return html`<h1>Open blockers</h1>
<section id="blockers" data-live>${blockers.length === 0 ? html`<p class="empty">No open blockers.</p>` : html`<ul class="blocker-list">${blockers}</ul>`}</section>
<h1>Pending approvals</h1>
<section id="approvals" data-live>${approvals.length === 0 ? html`<p class="empty">No decision waits for a person.</p>` : html`<ul class="blocker-list">${approvals}</ul>`}</section>`;
}

/** One side of a comparison. */
export interface CompareSide {
  readonly id: string;
  readonly status: string;
  readonly state: TeamState;
  readonly summary: RunSummary;
}

function seconds(ms: number | null): string {
  return ms === null ? 'running' : `${(ms / 1000).toFixed(1)} s`;
}

/** Two runs side by side: outcome, cost, time and their tasks. */
export function comparePage(input: { ids: readonly string[]; a: string; b: string; sides: readonly CompareSide[] }): SafeHtml {
  const select = (name: string, chosen: string): SafeHtml =>
    html`<label>Run ${name.toUpperCase()} <select name="${name}"><option value="">choose</option>${input.ids.map((id) => html`<option value="${id}"${id === chosen ? html` selected` : ''}>${id}</option>`)}</select></label>`;
  const form = html`<form class="filters" method="get" action="${uiHref('/compare')}">${select('a', input.a)}${select('b', input.b)}<button type="submit">Compare</button></form>`;
  if (input.sides.length < 2) return html`<h1>Compare runs</h1>${form}<p class="empty">Choose two runs.</p>`;
  const rows: [string, (side: CompareSide) => SafeHtml | string][] = [
    ['Feature', (side) => featureHeadline(side.state.run.feature)],
    [
      'Outcome',
      (side) =>
        html`<span class="status" data-status="${side.status}">${side.status}</span>${side.state.run.endReason === null ? '' : ` · ${side.state.run.endReason}`}`,
    ],
    ['Cost', (side) => usd(side.summary.costUsd)],
    ['All on the top tier', (side) => usd(side.summary.topTierCostUsd)],
    ['Cache-read share', (side) => `${(side.summary.cacheHitRatio * 100).toFixed(1)}%`],
    ['Calls', (side) => String(side.summary.calls)],
    ['Tokens', (side) => String(side.summary.tokens.total)],
    ['Wall time', (side) => seconds(side.summary.time.wallMs)],
    ['Model time', (side) => seconds(side.summary.time.modelMs)],
    ['Speedup', (side) => String(side.summary.metrics.speedup)],
    [
      'Tasks',
      (side) =>
        Object.entries(side.summary.tasks.byStatus)
          .map(([status, count]) => `${count} ${status}`)
          .join(', ') || 'none',
    ],
    ['Blockers', (side) => `${side.summary.blockers.raised} raised, ${side.summary.blockers.resolved} resolved`],
  ];
  const head = html`<tr><th></th>${input.sides.map((side) => html`<th scope="col"><a href="${uiHref(`/runs/${encodeURIComponent(side.id)}`)}">${side.id}</a></th>`)}</tr>`;
  const body = rows.map(
    ([name, cell]) => html`<tr><th scope="row">${name}</th>${input.sides.map((side) => html`<td>${cell(side)}</td>`)}</tr>`,
  );
  const tasks = input.sides.map(
    (side) =>
      html`<div><h2>${side.id}</h2><ol class="tasks">${side.state.tasks.map((task) => html`<li data-status="${task.status}"><strong>${task.id}</strong> ${task.title} <span class="meta">${task.role} · ${task.status}</span></li>`)}</ol></div>`,
  );
  return html`<h1>Compare runs</h1>${form}
<section id="comparison" data-live><div class="scroll"><table class="compare"><thead>${head}</thead><tbody>${body}</tbody></table></div>
<div class="side-by-side">${tasks}</div></section>`;
}
