import { jsonText } from '../observability/index.js';

/** Where command output goes, and whether it may use colour and redraw lines. */
export interface Terminal {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly isTty: boolean;
  readonly color: boolean;
  /** The screen's size now (it changes when the window is resized); absent when output is not a terminal. */
  readonly size?: (() => { columns: number; rows: number }) | undefined;
}

/** The size assumed when a terminal does not say. */
const DEFAULT_SIZE = { columns: 80, rows: 24 };

/**
 * Whether to colour output: `FORCE_COLOR` decides when set (`0` or `false` turns colour off, anything else on,
 * even into a pipe); otherwise colour only on a TTY, never with `NO_COLOR` set or `TERM=dumb`.
 */
export function colorWanted(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  return isTty && !noColor && env['TERM'] !== 'dumb';
}

/** The process's terminal (see colorWanted for colour). */
export function processTerminal(): Terminal {
  const isTty = process.stdout.isTTY === true;
  const stdout = process.stdout;
  return {
    out: stdout,
    err: process.stderr,
    isTty,
    color: colorWanted(process.env, isTty),
    size: isTty ? () => ({ columns: stdout.columns || DEFAULT_SIZE.columns, rows: stdout.rows || DEFAULT_SIZE.rows }) : undefined,
  };
}

/** The terminal's size, or 80×24 when it does not say. */
export function screenSize(terminal: Terminal): { columns: number; rows: number } {
  return terminal.size?.() ?? DEFAULT_SIZE;
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
