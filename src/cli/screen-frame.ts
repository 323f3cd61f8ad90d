/**
 * A full-screen view redrawn in place (`monitor` on a TTY): drawn on the terminal's alternate screen, so the
 * scrollback keeps what was there before and gets no copy of any frame, each frame cut to the screen's size.
 * A line that is a command to copy (its text starts with `agent-team `) is wrapped, never cut.
 */
import { fitWidth } from './fit-width.js';
import { paint, screenSize, type Terminal } from './terminal.js';

const ENTER = '\u001b[?1049h\u001b[?25l';
const LEAVE = '\u001b[?25h\u001b[?1049l';

/**
 * The lines of one frame for a screen of `columns` × `rows`: the body cut to the rows left by the footer, with a
 * line saying how many were left out, and every line cut one cell short of the width (a line that fills the last
 * column wraps, or loses that cell to the erase after it, on many terminals).
 */
export function frameLines(input: {
  terminal: Terminal;
  body: readonly string[];
  footer: string;
  columns: number;
  rows: number;
}): string[] {
  const { terminal, body, footer, columns, rows } = input;
  const room = Math.max(1, rows - 1);
  const width = Math.max(1, columns - 1);
  let shown = body.flatMap((line) => (isCommand(line) ? wrapCommand(line, width) : [line]));
  if (shown.length > room) {
    const kept = Math.max(0, room - 1);
    const left = shown.length - kept;
    shown = [...shown.slice(0, kept), paint(terminal, 'dim', `… ${left} more lines: a taller window shows them`)];
  }
  return [...shown, footer].slice(-Math.max(1, rows)).map((line) => fitWidth(line, width));
}

// Colour codes (CSI … m), which take no cell.
const STYLE_CODES = /\u001b\[[0-9;]*m/g;

function isCommand(line: string): boolean {
  return line.replace(STYLE_CODES, '').trimStart().startsWith('agent-team ');
}

/** A command as rows of `width` characters, continuation rows indented like the first (commands are plain text). */
function wrapCommand(line: string, width: number): string[] {
  const text = line.replace(STYLE_CODES, '');
  const indent = text.length - text.trimStart().length;
  const room = Math.max(1, width - indent);
  const words = text.trimStart();
  const rows: string[] = [];
  for (let start = 0; start < words.length; start += room) rows.push(' '.repeat(indent) + words.slice(start, start + room));
  return rows;
}

/** Draws frames on the alternate screen until closed; closing gives the normal screen back as it was. */
export class ScreenFrame {
  readonly #terminal: Terminal;
  #open = false;

  constructor(terminal: Terminal) {
    this.#terminal = terminal;
  }

  /** Replaces the screen's content with `body` and `footer`, sized to the screen as it is now. */
  draw(body: readonly string[], footer: string): void {
    const { columns, rows } = screenSize(this.#terminal);
    const lines = frameLines({ terminal: this.#terminal, body, footer, columns, rows });
    // Home, overwrite each line and clear its rest, clear below: no blank flash between frames, and no newline
    // after the last line, which would scroll the screen once the frame fills it.
    const start = this.#open ? '' : `${ENTER}\u001b[2J`;
    this.#open = true;
    this.#terminal.out.write(`${start}\u001b[H${lines.map((line) => `${line}\u001b[K`).join('\n')}\u001b[J`);
  }

  /** Leaves the alternate screen (the cursor shown again); safe to call when nothing was drawn. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#terminal.out.write(LEAVE);
  }
}
