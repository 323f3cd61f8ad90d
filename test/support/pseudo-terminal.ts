/**
 * Runs a command in a real pseudo-terminal of a given size (util-linux `script`, present on every Debian) and
 * replays what it drew in a terminal emulator (@xterm/headless), so tests can look at the screen and the
 * scrollback as a person would see them.
 */
import { spawn } from 'node:child_process';
import xterm from '@xterm/headless';

/** A command running in a pseudo-terminal. */
export interface PtyProcess {
  /** Everything written to the terminal so far. */
  output(): string;
  /** Types bytes at the keyboard (`\u0003` is Ctrl-C). */
  type(text: string): void;
  /** Resolves once the output matches `pattern`. */
  waitForOutput(pattern: RegExp): Promise<void>;
  /** Resolves with the command's exit code when it ends. */
  readonly done: Promise<number | null>;
  /** Ends the terminal (its command gets SIGHUP, as when a window is closed) and waits for it. */
  close(): Promise<void>;
}

function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** Starts `command` in a `columns` × `rows` pseudo-terminal in `cwd`. */
export function startInPty(
  command: readonly string[],
  options: { cwd: string; columns: number; rows: number; env?: NodeJS.ProcessEnv },
): PtyProcess {
  const shell = `stty cols ${options.columns} rows ${options.rows}; exec ${command.map(quote).join(' ')}`;
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', shell, '/dev/null'], {
    cwd: options.cwd,
    env: { ...process.env, TERM: 'xterm-256color', ...options.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    for (const listener of [...listeners]) listener();
  });
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    output: () => output,
    type: (text) => {
      child.stdin.write(text);
    },
    waitForOutput: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(output)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
        void done.then(() => {
          if (!pattern.test(output)) reject(new Error(`ended before printing ${pattern}:\n${output}`));
        });
      }),
    done,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await done;
    },
  };
}

/** What a terminal of that size shows after receiving `output`. */
export interface ScreenContent {
  /** The lines that scrolled off the top, oldest first. */
  scrollback: string[];
  /** The visible rows, top to bottom. */
  screen: string[];
  /** True while the alternate screen (full-screen programs) is shown. */
  alternate: boolean;
  /** Every line of the normal screen's history with wrapped rows joined, as a person would copy it. */
  logicalLines: string[];
}

/** Replays `output` in a `columns` × `rows` terminal emulator. */
export async function replay(output: string, size: { columns: number; rows: number }): Promise<ScreenContent> {
  const terminal = new xterm.Terminal({ cols: size.columns, rows: size.rows, scrollback: 10_000, allowProposedApi: true });
  await new Promise<void>((resolve) => terminal.write(output, resolve));
  const active = terminal.buffer.active;
  const alternate = active.type === 'alternate';
  const rowText = (buffer: typeof active, index: number): string => buffer.getLine(index)?.translateToString(true) ?? '';
  const screen = Array.from({ length: size.rows }, (_, row) => rowText(active, active.baseY + row));
  const normal = terminal.buffer.normal;
  const scrollback = Array.from({ length: normal.baseY }, (_, row) => rowText(normal, row));
  const logicalLines: string[] = [];
  for (let index = 0; index < normal.length; index += 1) {
    const line = normal.getLine(index);
    const text = line?.translateToString(true) ?? '';
    if (line?.isWrapped === true && logicalLines.length > 0) logicalLines[logicalLines.length - 1] += text;
    else logicalLines.push(text);
  }
  terminal.dispose();
  return { scrollback, screen, alternate, logicalLines };
}
