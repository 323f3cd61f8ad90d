/**
 * Which PostgreSQL failures a store retries (a lost connection, a server restarting, a transaction
 * conflict), how long it waits between attempts, and the StorageError it reports when they run out.
 */
import { BudgetExceededError, StorageError } from '../errors/index.js';

// Node socket errors of a server that is down, restarting or unreachable.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTCONN',
]);
// SQLSTATEs of a session the server ended or cannot start yet: admin_shutdown, crash_shutdown, cannot_connect_now,
// too_many_connections, and idle_in_transaction_session_timeout (a session that held a transaction open too long).
const SERVER_GONE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '25P03']);
// The driver's own words for a connection that went away (it gives them no code).
const LOST_MESSAGE =
  /connection terminated|connection (?:is )?closed|client has encountered a connection error|not queryable|timeout exceeded when trying to connect|server closed the connection/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when the connection to the server was lost or could not be made: the transaction may be tried again on a new one. */
export function isConnectionLost(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (SOCKET_CODES.has(code) || SERVER_GONE_CODES.has(code) || code.startsWith('08'))) return true;
  return error instanceof Error && LOST_MESSAGE.test(error.message);
}

/** True for a serialization failure or a deadlock: the server rolled the transaction back and asks for it again. */
export function isTransactionConflict(error: unknown): boolean {
  const code = codeOf(error);
  return code === '40001' || code === '40P01';
}

/** The wait before attempt `attempt + 1`: doubling from `baseMs`, at most `maxMs`, with up to a quarter of jitter so that processes cut at once do not come back at once. */
export function retryDelayMs(input: { attempt: number; baseMs: number; maxMs: number; random?: () => number }): number {
  const plain = Math.min(input.maxMs, input.baseMs * 2 ** (input.attempt - 1));
  return Math.round(plain * (1 - 0.25 * (input.random ?? Math.random)()));
}

/** The StorageError for a database that stayed unreachable through every attempt; it names the database by its redacted URL only. */
export function databaseStorageError(input: {
  error: unknown;
  where: string;
  action: string;
  kept: string;
  attempts: number;
}): StorageError {
  const code = codeOf(input.error) ?? 'connection_lost';
  const syscall = (input.error as { syscall?: unknown } | null)?.syscall;
  return new StorageError({
    file: input.where,
    action: input.action,
    kept: input.kept,
    fix: `Tried ${input.attempts} times. Check that the PostgreSQL server is running and reachable at that address`,
    // The store cannot tell whether the run had started (the server may never have been reached): both ways are named.
    next: 'run the command again (a run that had started continues with `agent-team run --resume`)',
    cause: { code, message: messageOf(input.error), syscall: typeof syscall === 'string' ? syscall : undefined },
  });
}

/** True when the budget row's CHECK refused a write: the update would have spent past a limit. */
export function isBudgetViolation(error: unknown): boolean {
  const fields = error as { code?: unknown; constraint?: unknown } | null;
  return fields?.code === '23514' && fields.constraint === 'budget_within_limit';
}

/** The BudgetExceededError for an update the budget row's CHECK refused; nothing of it was written. */
export function overspentError(input: { error: unknown; where: string; runId: string }): BudgetExceededError {
  return new BudgetExceededError({
    runId: input.runId,
    limit: 'run budget',
    detail:
      `the update would have recorded spend over the run's limit, which the database refuses ` +
      `(constraint budget_within_limit of ${input.where}); nothing was written. ${messageOf(input.error)}`,
  });
}
