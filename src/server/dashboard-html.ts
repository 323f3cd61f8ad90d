/**
 * HTML for the dashboard's pages: a tagged template that escapes every value it is given (a task title,
 * a question, a transcript: whatever a model or a person wrote shows as text), and the page frame.
 */
import { xmlText } from '../report/index.js';

/** Markup that is already safe: made by `html` or `trusted` and inserted as it is. */
export class SafeHtml {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

/** Text as HTML content or attribute value (control characters dropped): the escaping of the run's SVG pictures. */
export const escapeHtml: (text: string) => string = xmlText;

type Value = SafeHtml | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Markup with every interpolated value escaped (SafeHtml and arrays of it inserted as they are). */
export function html(strings: TemplateStringsArray, ...values: Value[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Markup this server drew itself (the SVG pictures of src/report, whose text is escaped there). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/** The dashboard's root path. */
export const UI_ROOT = '/ui';

/** A link into the dashboard with its query (empty values left out). */
export function uiHref(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, value);
  const search = params.toString();
  return `${UI_ROOT}${path === '/' ? '' : path}${search === '' ? '' : `?${search}`}`;
}

/** The whole page: navigation, the body, the dashboard's one script and style sheet (no inline script or style). */
export function page(input: { title: string; body: SafeHtml; live?: string | undefined; readOnly: boolean }): string {
  const nav = [
    ['/', 'Runs'],
    ['/blockers', 'Blockers'],
    ['/compare', 'Compare'],
    ['/experiments', 'Experiments'],
  ] as const;
  return `<!doctype html>${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${input.title} · agent-team</title>
<link rel="icon" href="${uiHref('/assets/icon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${uiHref('/assets/dashboard.css')}">
<script src="${uiHref('/assets/dashboard.js')}" defer></script>
</head>
<body data-live="${input.live ?? ''}">
<header class="top"><a class="brand" href="${uiHref('/')}">agent-team</a>
<nav aria-label="Dashboard">${nav.map(([path, name]) => html`<a href="${uiHref(path)}">${name}</a>`)}</nav>
${input.readOnly ? html`<span class="badge">read-only</span>` : ''}</header>
<main id="main">${input.body}</main>
</body>
</html>`.text
  }\n`;
}
