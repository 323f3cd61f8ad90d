/** A run's ledger, filtered by agent, task and event type; and an agent's transcript, narrowed to one task. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { safeParseJsonLine } from '../files/index.js';
import type { LedgerEntry, LedgerEvent } from '../state/index.js';
import { usd } from './dashboard-charts.js';
import { html, type SafeHtml, uiHref } from './dashboard-html.js';

/** The most rows a ledger page shows (the newest). */
export const LEDGER_ROWS = 500;

/** The ledger's filters; empty strings match everything. */
export interface LedgerFilter {
  readonly agent: string;
  readonly task: string;
  readonly type: string;
}

function field(entry: LedgerEntry<LedgerEvent>, name: 'agentId' | 'taskId'): string {
  const value = (entry as unknown as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/** What an entry says besides its type, agent and task, as short text. */
function detail(entry: LedgerEntry<LedgerEvent>): string {
  const { type: _type, seq: _seq, at: _at, agentId: _agent, taskId: _task, ...rest } = entry as unknown as Record<string, unknown>;
  const text = JSON.stringify(rest);
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

function options(values: Iterable<string>, chosen: string): SafeHtml[] {
  return [...new Set(values)]
    .filter((value) => value !== '')
    .sort()
    .map((value) => html`<option value="${value}"${value === chosen ? html` selected` : ''}>${value}</option>`);
}

/** The ledger page: a filter form and the newest matching entries first. */
export function ledgerPage(input: { runId: string; ledger: readonly LedgerEntry<LedgerEvent>[]; filter: LedgerFilter }): SafeHtml {
  const { runId, ledger, filter } = input;
  const matching = ledger.filter(
    (entry) =>
      (filter.agent === '' || field(entry, 'agentId') === filter.agent) &&
      (filter.task === '' || field(entry, 'taskId') === filter.task) &&
      (filter.type === '' || entry.type === filter.type),
  );
  const shown = matching.slice(-LEDGER_ROWS).reverse();
  const path = `/runs/${encodeURIComponent(runId)}/ledger`;
  const rows = shown.map(
    (
      entry,
    ) => html`<tr data-type="${entry.type}"><td>${entry.seq}</td><td><time datetime="${entry.at}">${entry.at.slice(11, 23)}</time></td>
<td>${entry.type}</td><td>${field(entry, 'agentId')}</td><td>${field(entry, 'taskId')}</td><td class="detail">${detail(entry)}</td></tr>`,
  );
  return html`<h1>Ledger of <a href="${uiHref(`/runs/${encodeURIComponent(runId)}`)}">${runId}</a></h1>
<form class="filters" method="get" action="${uiHref(path)}">
<label>Agent <select name="agent"><option value="">any</option>${options(
    ledger.map((entry) => field(entry, 'agentId')),
    filter.agent,
  )}</select></label>
<label>Task <select name="task"><option value="">any</option>${options(
    ledger.map((entry) => field(entry, 'taskId')),
    filter.task,
  )}</select></label>
<label>Event <select name="type"><option value="">any</option>${options(
    ledger.map((entry) => entry.type),
    filter.type,
  )}</select></label>
<button type="submit">Filter</button></form>
<section id="ledger" data-live><p class="meta" id="ledger-count" data-count="${matching.length}">${matching.length} of ${ledger.length} entries${matching.length > LEDGER_ROWS ? `, the newest ${LEDGER_ROWS} shown` : ''}</p>
<div class="scroll"><table class="ledger"><thead><tr><th>Seq</th><th>Time</th><th>Event</th><th>Agent</th><th>Task</th><th>Detail</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>`;
}

/** One line of `agents/<agent-id>.jsonl` (what the page shows of it; the rest is kept and ignored). */
const transcriptLineSchema = z.looseObject({
  at: z.string(),
  taskId: z.string().nullable(),
  purpose: z.string(),
  model: z.string(),
  system: z.unknown().optional(),
  messages: z.array(z.unknown()),
  response: z.looseObject({ text: z.string() }).nullable(),
  costUsd: z.number().nullable(),
  error: z.string().nullable(),
});
type TranscriptLine = z.infer<typeof transcriptLineSchema>;

/** The transcript's lines (those it could read) and how many it could not. */
export async function readTranscript(input: { runDir: string; agentId: string }): Promise<{ lines: TranscriptLine[]; unreadable: number }> {
  const file = join(input.runDir, 'agents', `${input.agentId}.jsonl`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], unreadable: 0 };
    throw error;
  }
  const lines: TranscriptLine[] = [];
  let unreadable = 0;
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const parsed = safeParseJsonLine({ text: line, file, line: index + 1, schema: transcriptLineSchema });
    if (parsed.ok) lines.push(parsed.value);
    else unreadable += 1;
  });
  return { lines, unreadable };
}

function messageText(message: unknown): { role: string; text: string } {
  if (message !== null && typeof message === 'object') {
    const { role, content } = message as { role?: unknown; content?: unknown };
    const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
    return { role: typeof role === 'string' ? role : 'message', text };
  }
  return { role: 'message', text: JSON.stringify(message) };
}

/** An agent's calls (narrowed to one task when asked): each request's messages, the answer, its cost. */
export function transcriptPage(input: {
  runId: string;
  agentId: string;
  task: string;
  transcript: { lines: readonly TranscriptLine[]; unreadable: number };
}): SafeHtml {
  const { runId, agentId, task, transcript } = input;
  const shown = transcript.lines.filter((line) => task === '' || line.taskId === task);
  const calls = shown.map(
    (line, index) => html`<article class="call" data-task-id="${line.taskId ?? ''}">
<h2>Call ${index + 1}: ${line.purpose}${line.taskId === null ? '' : ` on ${line.taskId}`}</h2>
<p class="meta"><time datetime="${line.at}">${line.at}</time> · ${line.model}${line.costUsd === null ? '' : ` · ${usd(line.costUsd)}`}</p>
${line.messages.map((message) => {
  const { role, text } = messageText(message);
  return html`<details><summary>${role}</summary><pre>${text}</pre></details>`;
})}
${line.response === null ? '' : html`<h3>Answer</h3><pre class="answer">${line.response.text}</pre>`}
${line.error === null ? '' : html`<p class="error">${line.error}</p>`}</article>`,
  );
  const scope = task === '' ? 'all tasks' : `task ${task}`;
  return html`<h1>Transcript of ${agentId} · ${scope}</h1>
<p class="links"><a href="${uiHref(`/runs/${encodeURIComponent(runId)}`)}">Run ${runId}</a>
${task === '' ? '' : html`<a href="${uiHref(`/runs/${encodeURIComponent(runId)}/agents/${encodeURIComponent(agentId)}`)}">All of this agent's calls</a>`}
<a href="${uiHref(`/runs/${encodeURIComponent(runId)}/ledger`, { agent: agentId, task })}">Ledger</a></p>
<section id="transcript" data-live><p class="meta">${shown.length} call(s)${transcript.unreadable > 0 ? `, ${transcript.unreadable} unreadable line(s) skipped` : ''}; secrets were redacted when written.</p>
${calls}</section>`;
}
