/**
 * Charts of a run as standalone SVG, for its record folder and report: a timeline with one lane per agent on
 * the model-time clock (see model-schedule.ts), and the cost by agent as bars. Both are drawn here, so they
 * need no browser, no font metrics beyond an estimate and no outside file.
 */
import type { ScheduleSpan } from './model-schedule.js';
import type { SpendLine } from './summary.js';
import { SERIES_COLOURS, STATUS_COLOURS, shortText, svgDocument, xmlText } from './svg-text.js';

const LANE_HEIGHT = 26;
const LABEL_WIDTH = 150;
const PLOT_WIDTH = 760;
const KIND_COLOURS: Record<ScheduleSpan['kind'], string> = {
  plan: '#6b3fb5',
  work: '#1f5fbf',
  review: '#6b3fb5',
  resolve: '#b25e09',
  integrate: '#6b3fb5',
};

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}

/** A timeline: one lane per agent (in order of first appearance), each span a bar coloured by how it ended. */
export function timelineChart(input: { spans: readonly ScheduleSpan[]; makespanMs: number; title: string }): string {
  const lanes = [...new Set(input.spans.map((span) => span.lane))];
  const total = Math.max(1, input.makespanMs, ...input.spans.map((span) => span.end));
  const x = (ms: number): number => LABEL_WIDTH + (ms / total) * PLOT_WIDTH;
  const top = 36;
  const height = top + lanes.length * LANE_HEIGHT + 40;
  const body: string[] = [`<text x="12" y="20" font-weight="600">${xmlText(shortText(input.title, 110))}</text>`];
  lanes.forEach((lane, index) => {
    const y = top + index * LANE_HEIGHT;
    if (index % 2 === 0)
      body.push(`<rect x="0" y="${y}" width="${LABEL_WIDTH + PLOT_WIDTH + 20}" height="${LANE_HEIGHT}" fill="#f6f7f9"/>`);
    body.push(`<text x="12" y="${y + 17}">${xmlText(shortText(lane, 20))}</text>`);
  });
  for (const span of input.spans) {
    const y = top + lanes.indexOf(span.lane) * LANE_HEIGHT + 4;
    const width = Math.max(1.5, x(span.end) - x(span.start));
    const status = STATUS_COLOURS[span.outcome];
    const fill = span.kind === 'work' && status !== undefined ? status.stroke : KIND_COLOURS[span.kind];
    const what = span.taskId === null ? span.kind : `${span.kind} ${span.taskId}`;
    body.push(
      `<rect class="span" data-lane="${xmlText(span.lane)}" data-kind="${span.kind}" data-task-id="${xmlText(span.taskId ?? '')}" x="${x(span.start).toFixed(1)}" y="${y}" width="${width.toFixed(1)}" height="${LANE_HEIGHT - 8}" rx="3" fill="${fill}" fill-opacity="0.85">` +
        `<title>${xmlText(`${span.lane}: ${what}, ${seconds(span.start)} → ${seconds(span.end)} (${span.outcome})`)}</title></rect>`,
    );
    if (width > 34 && span.taskId !== null)
      body.push(
        `<text x="${(x(span.start) + 4).toFixed(1)}" y="${y + 13}" fill="#ffffff" font-size="10">${xmlText(shortText(span.taskId, Math.floor(width / 7)))}</text>`,
      );
  }
  const axis = top + lanes.length * LANE_HEIGHT + 16;
  for (let tick = 0; tick <= 4; tick += 1) {
    const at = (total * tick) / 4;
    body.push(`<text x="${x(at).toFixed(1)}" y="${axis}" text-anchor="middle" fill="#5b6b7c" font-size="10">${seconds(at)}</text>`);
  }
  body.push(
    `<text x="12" y="${axis + 16}" fill="#5b6b7c" font-size="10">model time; colour: how each attempt ended (green done, red failed, orange blocked, grey released)</text>`,
  );
  return svgDocument({ width: LABEL_WIDTH + PLOT_WIDTH + 20, height, title: input.title, body });
}

/** Bars of cost by agent, largest first, each labelled with its cost and share. */
export function costChart(input: { lines: Readonly<Record<string, SpendLine>>; title: string }): string {
  const rows = Object.entries(input.lines).sort((a, b) => b[1].costUsd - a[1].costUsd);
  const total = rows.reduce((sum, [, line]) => sum + line.costUsd, 0);
  const most = Math.max(1e-9, ...rows.map(([, line]) => line.costUsd));
  const top = 36;
  const body: string[] = [`<text x="12" y="20" font-weight="600">${xmlText(shortText(input.title, 110))}</text>`];
  rows.forEach(([name, line], index) => {
    const y = top + index * LANE_HEIGHT;
    const width = (line.costUsd / most) * (PLOT_WIDTH - 160);
    const share = total === 0 ? 0 : (line.costUsd / total) * 100;
    body.push(
      `<text x="12" y="${y + 17}">${xmlText(shortText(name, 20))}</text>`,
      `<rect class="bar" data-name="${xmlText(name)}" data-cost-usd="${line.costUsd}" x="${LABEL_WIDTH}" y="${y + 4}" width="${Math.max(1, width).toFixed(1)}" height="${LANE_HEIGHT - 8}" rx="3" fill="${SERIES_COLOURS[index % SERIES_COLOURS.length]}"/>`,
      `<text x="${(LABEL_WIDTH + width + 8).toFixed(1)}" y="${y + 17}">$${line.costUsd.toFixed(4)} (${share.toFixed(0)}%, ${line.calls} calls)</text>`,
    );
  });
  if (rows.length === 0) body.push(`<text x="12" y="${top + 17}">no model calls</text>`);
  return svgDocument({
    width: LABEL_WIDTH + PLOT_WIDTH + 20,
    height: top + Math.max(1, rows.length) * LANE_HEIGHT + 16,
    title: input.title,
    body,
  });
}
