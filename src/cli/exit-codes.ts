import { AgentTeamError } from '../errors/index.js';
import { jsonText, plainText } from '../observability/index.js';
import type { Terminal } from './terminal.js';
import { paint } from './terminal.js';

/** Documented exit codes (README, `agent-team --help`). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  budgetExceeded: 3,
  stateError: 4,
  lockTimeout: 5,
  runOwned: 6,
  interrupted: 130,
} as const;

/** Exit code for a run's final status. */
export function exitCodeForRunStatus(status: string): number {
  switch (status) {
    case 'done':
      return EXIT.ok;
    case 'budget_exceeded':
      return EXIT.budgetExceeded;
    case 'interrupted':
      return EXIT.interrupted;
    default:
      return EXIT.failed;
  }
}

/** Prints an error the way a person can act on it, and returns the exit code. */
export function reportError(terminal: Terminal, error: unknown, json: boolean): number {
  if (error instanceof AgentTeamError) {
    if (json) terminal.out.write(`${jsonText({ error: { code: error.code, message: error.message } }, 2)}\n`);
    else terminal.err.write(`${paint(terminal, 'red', 'error')}: ${plainText(error.message)}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (json) terminal.out.write(`${jsonText({ error: { code: 'internal', message } }, 2)}\n`);
  else terminal.err.write(`${paint(terminal, 'red', 'internal error')}: ${plainText(message)}\n`);
  return EXIT.failed;
}
