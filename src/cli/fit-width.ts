// Its own file, apart from terminal.ts, which every command loads: cli-truncate (slice-ansi, the East Asian
// width tables) costs ~30 ms of CPU to load, and only the views redrawn in place (run, monitor) need it.
import cliTruncate from 'cli-truncate';

/**
 * `text` cut to `columns` cells (colour codes kept, wide characters counted as two), ending in `…` when cut.
 * For lines redrawn in place: a line as wide as the screen would wrap, and the redraw would leave its first
 * half behind.
 */
export function fitWidth(text: string, columns: number): string {
  return cliTruncate(text, Math.max(1, columns), { position: 'end' });
}
