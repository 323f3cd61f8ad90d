/** The dashboard's own pictures, drawn as SVG on the server: the budget gauge and the cost over time by model or by agent. */
import { SERIES_COLOURS } from '../report/index.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';
import { html, type SafeHtml } from './dashboard-html.js';

type ModelCall = LedgerEntry<Extract<LedgerEvent, { type: 'model-call' }>>;

/** Dollars with enough digits for small sim figures. */
export function usd(value: number): string {
  return `$${value.toFixed(value !== 0 && Math.abs(value) < 0.01 ? 5 : 4)}`;
}

/**
 * A horizontal gauge: spent, reserved on top of it, and the forecast still to spend as an outline after the
 * spend, against the cap (marked) or, without one, against the largest of them.
 */
export function budgetGauge(
  budget: Pick<TeamState['budget'], 'spentUsd' | 'reservedUsd' | 'limitUsd'>,
  forecastUsd: number | null = null,
): SafeHtml {
  const width = 600;
  const plot = width - 2;
  const forecast = forecastUsd ?? 0;
  const scale = Math.max(budget.limitUsd ?? 0, budget.spentUsd + budget.reservedUsd, budget.spentUsd + forecast, 1e-9);
  const spent = (budget.spentUsd / scale) * plot;
  const reserved = (budget.reservedUsd / scale) * plot;
  const ahead = (forecast / scale) * plot;
  const capX = budget.limitUsd === null ? null : 1 + (budget.limitUsd / scale) * plot;
  const cap = budget.limitUsd === null ? 'no cap' : `cap ${usd(budget.limitUsd)}`;
  const more = forecastUsd === null ? '' : `, forecast ${usd(forecastUsd)} more`;
  const label = `spent ${usd(budget.spentUsd)}, reserved ${usd(budget.reservedUsd)}${more}, ${cap}`;
  return html`<svg class="gauge" width="${width}" height="44" viewBox="0 0 ${width} 44" role="img" aria-label="${label}">
<title>${label}</title>
<rect x="1" y="4" width="${plot}" height="22" rx="4" fill="#eef1f4" stroke="#9aa5b1"/>
<rect class="spent" x="1" y="4" width="${spent.toFixed(1)}" height="22" rx="4" fill="#1f5fbf"/>
<rect class="reserved" x="${(1 + spent).toFixed(1)}" y="4" width="${reserved.toFixed(1)}" height="22" fill="#ccbb44"/>
${ahead > 0 ? html`<rect class="forecast" x="${(1 + spent).toFixed(1)}" y="7" width="${ahead.toFixed(1)}" height="16" fill="none" stroke="#6b3fb5" stroke-width="2" stroke-dasharray="5 3"/>` : ''}
${capX === null ? '' : html`<line class="cap" x1="${capX.toFixed(1)}" y1="1" x2="${capX.toFixed(1)}" y2="29" stroke="#b42318" stroke-width="2"/>`}
<text x="4" y="40" font-size="12">${label}</text>
</svg>`;
}

/** Cumulative cost by model (or by agent) over wall-clock time since the first call: one line per model (agent). */
export function costOverTime(ledger: readonly LedgerEntry<LedgerEvent>[], by: 'model' | 'agent' = 'model'): SafeHtml {
  const calls = ledger.filter((entry): entry is ModelCall => entry.type === 'model-call');
  const width = 760;
  const height = 240;
  const left = 64;
  const bottom = height - 28;
  const plotWidth = width - left - 210;
  if (calls.length === 0) return html`<p class="empty">No model calls yet.</p>`;
  const start = Math.min(...calls.map((call) => Date.parse(call.at)));
  const end = Math.max(start + 1, ...calls.map((call) => Date.parse(call.at)));
  const lines = new Map<string, { at: number; usd: number }[]>();
  const totals = new Map<string, number>();
  for (const call of [...calls].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    const key = by === 'model' ? call.model : call.agentId;
    const total = (totals.get(key) ?? 0) + call.costUsd;
    totals.set(key, total);
    lines.set(key, [...(lines.get(key) ?? [{ at: start, usd: 0 }]), { at: Date.parse(call.at), usd: total }]);
  }
  const most = Math.max(1e-9, ...totals.values());
  const x = (at: number): number => left + ((at - start) / (end - start)) * plotWidth;
  const y = (value: number): number => bottom - (value / most) * (bottom - 16);
  const series = [...lines.entries()].map(([name, points], index) => {
    const colour = SERIES_COLOURS[index % SERIES_COLOURS.length] ?? '#4477aa';
    const path = points.map((point) => `${x(point.at).toFixed(1)},${y(point.usd).toFixed(1)}`).join(' ');
    return html`<polyline class="series" data-${by}="${name}" points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>
<rect x="${left + plotWidth + 12}" y="${16 + index * 18}" width="10" height="10" fill="${colour}"/>
<text x="${left + plotWidth + 26}" y="${25 + index * 18}" font-size="11">${name.slice(0, 22)} ${usd(totals.get(name) ?? 0)}</text>`;
  });
  const seconds = ((end - start) / 1000).toFixed(1);
  return html`<svg class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Cost over time by ${by}">
<title>Cost over time by ${by}</title>
<line x1="${left}" y1="${bottom}" x2="${left + plotWidth}" y2="${bottom}" stroke="#9aa5b1"/>
<line x1="${left}" y1="16" x2="${left}" y2="${bottom}" stroke="#9aa5b1"/>
<text x="${left - 6}" y="20" text-anchor="end" font-size="11">${usd(most)}</text>
<text x="${left - 6}" y="${bottom}" text-anchor="end" font-size="11">$0</text>
<text x="${left}" y="${bottom + 18}" font-size="11">0 s</text>
<text x="${left + plotWidth}" y="${bottom + 18}" text-anchor="end" font-size="11">${seconds} s (wall clock)</text>
${series}
</svg>`;
}
