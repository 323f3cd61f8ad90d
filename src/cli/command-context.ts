import type { Terminal } from './terminal.js';

/** What every command runs with: where it prints, its directory, where it stores its exit code, and what stops it. */
export interface CommandContext {
  terminal: Terminal;
  cwd: string;
  result: { code: number };
  /** Stops a long command as Ctrl-C does; without it, the command listens for SIGINT and SIGTERM itself. */
  signal?: AbortSignal | undefined;
}
