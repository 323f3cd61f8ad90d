/**
 * The connections of one PostgresStore: a pool whose sessions name their process, the schema
 * migrated once before first use, and the retry loop every transaction runs in. A lost connection (a
 * server restart) or a transaction conflict gets a new attempt after a backoff; when they run out, a
 * StorageError names the database by its URL without the password.
 */
import type pg from 'pg';
import { loadPg } from './postgres-driver.js';
import { getLogger } from '../observability/index.js';
import { databaseStorageError, isConnectionLost, isTransactionConflict, retryDelayMs } from './postgres-failure.js';
import { migrate } from './postgres-migrations.js';

const logger = getLogger('state.postgres');

// Attempts of a transaction cut by a lost connection, and the waits between them (about 11 s in all):
// long enough for a server restart, short enough for a down server to be reported.
const DEFAULT_RETRY = { attempts: 8, baseDelayMs: 100, maxDelayMs: 5000 };
/** How long a session may sit idle inside a transaction before the server ends it (see clientConfig). */
export const DEFAULT_LOCK_HOLD_LIMIT_MS = 10_000;

/** A retry of a transaction whose connection was lost, as `onRetry` hears of it. */
export interface PostgresRetry {
  readonly action: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** What a failed operation was doing, for its StorageError. */
export interface DatabaseOperation {
  /** e.g. `commit an update to` (followed by where the run lives). */
  readonly action: string;
  /** What is still intact. */
  readonly kept: string;
}

/** A work function that must not be tried again: the run row appeared while this process was creating it, so it starts over at once. */
export class StartOver extends Error {}

/** The pool, migrations and retries of one store. */
export class RunConnections {
  /** Settings of every connection (the LISTEN connection uses them too). */
  readonly clientConfig: pg.ClientConfig;
  readonly #where: string;
  // Made on first use, once the driver is imported.
  #pool: Promise<pg.Pool> | undefined;
  readonly #poolSize: number;
  readonly #retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  readonly #onRetry: ((retry: PostgresRetry) => void) | undefined;
  #schemaReady: Promise<void> | undefined;

  constructor(input: {
    url: string;
    where: string;
    poolSize?: number | undefined;
    retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number } | undefined;
    onRetry?: ((retry: PostgresRetry) => void) | undefined;
    lockHoldLimitMs?: number | undefined;
  }) {
    this.#where = input.where;
    this.#retry = { ...DEFAULT_RETRY, ...input.retry };
    this.#onRetry = input.onRetry;
    // The application name tells an operator (and pg_stat_activity) which process holds a session. A session left
    // idle inside a transaction (its process frozen, suspended or cut off mid-commit, holding the run row's lock) is
    // ended by the server after lockHoldLimitMs, so that the rest of the team is not held up by it: its commit then
    // fails as a lost connection and is tried again on the newest version once it runs again.
    this.clientConfig = {
      connectionString: input.url,
      application_name: `agent-team pid ${process.pid}`,
      idle_in_transaction_session_timeout: input.lockHoldLimitMs ?? DEFAULT_LOCK_HOLD_LIMIT_MS,
    };
    this.#poolSize = input.poolSize ?? 4;
  }

  #poolOf(): Promise<pg.Pool> {
    this.#pool ??= loadPg().then((driver) => {
      const pool = new driver.Pool({ ...this.clientConfig, max: this.#poolSize, allowExitOnIdle: true });
      // An idle connection cut by the server (a restart) is dropped by the pool; the next checkout makes a new one.
      pool.on('error', (error) => logger.debug('idle PostgreSQL connection lost', { where: this.#where, error: error.message }));
      // A connection cut while checked out also emits 'error' (an unhandled one would end the process); the query in
      // flight rejects with it, and retrying() decides.
      pool.on('connect', (client) => {
        client.on('error', (error) => logger.debug('PostgreSQL connection lost', { where: this.#where, error: error.message }));
      });
      return pool;
    });
    return this.#pool;
  }

  /** Runs `work` on a pooled connection, after the migrations, trying again as the file comment says. */
  async retrying<T>(operation: DatabaseOperation, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      let client: pg.PoolClient | undefined;
      try {
        client = await (await this.#poolOf()).connect();
        await this.#ensureSchema(client);
        const result = await work(client);
        client.release();
        return result;
      } catch (error) {
        const lost = isConnectionLost(error);
        client?.release(lost ? true : undefined);
        if (error instanceof StartOver) continue;
        if (!lost && !isTransactionConflict(error)) throw error;
        if (attempt >= this.#retry.attempts) {
          if (!lost) throw error;
          throw databaseStorageError({ error, where: this.#where, action: operation.action, kept: operation.kept, attempts: attempt });
        }
        const delayMs = retryDelayMs({ attempt, baseMs: this.#retry.baseDelayMs, maxMs: this.#retry.maxDelayMs });
        logger.warn('PostgreSQL transaction retried', { where: this.#where, attempt, delayMs, error: messageOf(error) });
        this.#onRetry?.({ action: operation.action, attempt, delayMs, error });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** Runs `work` once on a pooled connection (polling, where the next poll is the retry). */
  async once<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await (await this.#poolOf()).connect();
    try {
      const result = await work(client);
      client.release();
      return result;
    } catch (error) {
      client.release(isConnectionLost(error) ? true : undefined);
      throw error;
    }
  }

  /** Ends every pooled connection. */
  async end(): Promise<void> {
    const pool = this.#pool;
    if (pool === undefined) return;
    await (await pool).end().catch(() => undefined);
  }

  async #ensureSchema(client: pg.PoolClient): Promise<void> {
    this.#schemaReady ??= migrate({ client, where: this.#where }).then(() => undefined);
    try {
      await this.#schemaReady;
    } catch (error) {
      this.#schemaReady = undefined;
      throw error;
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
