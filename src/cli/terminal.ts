import { jsonText } from '../observability/index.js';

/** Where command output goes, and whether it may use colour and redraw lines. */
export interface Terminal {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly isTty: boolean;
  readonly color: boolean;
}

/** The process's terminal: colour only on a TTY and never with NO_COLOR set. */
export function processTerminal(): Terminal {
  const isTty = process.stdout.isTTY === true;
  const noColor = process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '';
  return { out: process.stdout, err: process.stderr, isTty, color: isTty && !noColor && process.env['TERM'] !== 'dumb' };
}

/** A terminal that collects output in strings (tests, the HTTP server). */
export function bufferTerminal(): Terminal & { stdout(): string; stderr(): string } {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void) =>
    ({
      write(chunk: string | Uint8Array): boolean {
        append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  return {
    out: sink((text) => (out += text)),
    err: sink((text) => (err += text)),
    isTty: false,
    color: false,
    stdout: () => out,
    stderr: () => err,
  };
}

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;

/** Paints text when the terminal allows colour. */
export function paint(terminal: Terminal, style: keyof typeof CODES, text: string): string {
  if (!terminal.color) return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/** Writes one line to stdout. */
export function println(terminal: Terminal, text = ''): void {
  terminal.out.write(`${text}\n`);
}

/** Writes a value as pretty JSON to stdout (for --json). */
export function printJson(terminal: Terminal, value: unknown): void {
  terminal.out.write(`${jsonText(value, 2)}\n`);
}
