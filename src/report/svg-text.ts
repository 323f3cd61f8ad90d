/** Building blocks of the SVG pictures a run leaves: escaped text, status colours, the document frame. */

/** Text as it may appear in SVG/XML content and attribute values (control characters dropped). */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** `text` cut to `max` characters, ending in `…` when cut. */
export function shortText(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(1, max - 1))}…`;
}

/** Fill and stroke of a task by its status: done green, failed red, in progress blue, waiting grey. */
export const STATUS_COLOURS: Record<string, { fill: string; stroke: string }> = {
  done: { fill: '#d9f2e3', stroke: '#1e7d46' },
  failed: { fill: '#fbdcdc', stroke: '#b42318' },
  cancelled: { fill: '#eeeeee', stroke: '#8a8a8a' },
  in_progress: { fill: '#dbe8fb', stroke: '#1f5fbf' },
  review: { fill: '#ece1fa', stroke: '#6b3fb5' },
  blocked: { fill: '#fdecc8', stroke: '#b25e09' },
  ready: { fill: '#ffffff', stroke: '#5b6b7c' },
  pending: { fill: '#f6f7f9', stroke: '#9aa5b1' },
};

/** Colours for a series by its index (agents, models): distinct on white and for common colour blindness. */
export const SERIES_COLOURS = ['#4477aa', '#ee6677', '#228833', '#ccbb44', '#66ccee', '#aa3377', '#bbbbbb', '#332288'];

/** A standalone SVG document of the given size around `body`, with a title for screen readers. */
export function svgDocument(input: { width: number; height: number; title: string; body: string[] }): string {
  const width = Math.ceil(input.width);
  const height = Math.ceil(input.height);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${xmlText(input.title)}</title>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...input.body,
    '</svg>',
    '',
  ].join('\n');
}
