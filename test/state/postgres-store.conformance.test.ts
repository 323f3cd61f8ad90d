import pg from 'pg';
import { expect } from 'vitest';
import { PostgresStore } from '../../src/state/index.js';
import { postgresForFile } from '../support/postgres.js';
import type { PostgresStoreLocation } from './conformance/postgres-store-opener.js';
import { describeStateStore } from './store-conformance.js';

const server = postgresForFile();

// Every table of the store, with the order that makes a dump of it stable.
const TABLES = [
  ['runs', 'run_key'],
  ['tasks', 'run_key, key'],
  ['blockers', 'run_key, key'],
  ['messages', 'run_key, key'],
  ['agents', 'run_key, key'],
  ['reservations', 'run_key, key'],
  ['budget', 'run_key, key'],
  ['ledger', 'run_key, seq'],
] as const;

/** Runs `sql` on a connection of its own, as an operator would. */
async function sqlOn<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** True when a process with this pid is alive on this machine. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describeStateStore('PostgresStore', {
  opener: 'postgres',
  async create({ initial }) {
    const postgres = await server();
    const url = await postgres.createDatabase();
    const location: PostgresStoreLocation = { url, run: 'conformance' };
    const creating = new PostgresStore({ ...location, initial: initial === undefined ? undefined : () => structuredClone(initial) });
    const where = creating.where;
    // Without an initial state the database gets the schema and no run.
    await (initial === undefined ? creating.exists() : creating.update(() => undefined));
    await creating.close();
    return {
      location,
      where,
      open: () => new PostgresStore(location),
      async ledger() {
        const reader = new PostgresStore(location);
        try {
          return await reader.readLedger();
        } finally {
          await reader.close();
        }
      },
      async raw() {
        const dumps: string[] = [];
        for (const [table, order] of TABLES) {
          const rows = await sqlOn<{ row: unknown }>(url, `SELECT to_jsonb(x) AS row FROM ${table} x ORDER BY ${order}`);
          dumps.push(`--- ${table}\n${rows.map(({ row }) => JSON.stringify(row)).join('\n')}`);
        }
        return dumps.join('\n');
      },
      async corrupt(kind) {
        if (kind === 'syntax') {
          // What a cut-off paste leaves: the entry's JSON as a string rather than an object.
          await sqlOn(url, `UPDATE tasks SET data = to_jsonb('{"title": "Task 1", "descri'::text) WHERE key = 'T1'`);
          return [where, 'table tasks, row "T1"', 'column data must hold a JSON object'];
        }
        await sqlOn(url, "UPDATE tasks SET status = 'lost' WHERE key = 'T1'");
        return [where, 'table tasks, row "T1"', 'field status (column status)'];
      },
      async assertReleased() {
        const sessions = await sqlOn<{ name: string; state: string | null }>(
          url,
          'SELECT application_name AS name, state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        // No transaction left open (a killed holder's session ends with its socket)…
        expect(sessions.filter((session) => session.state?.startsWith('idle in transaction'))).toEqual([]);
        // …and no session of a process that is gone.
        const pids = sessions.flatMap((session) => /^agent-team pid (\d+)$/.exec(session.name)?.slice(1).map(Number) ?? []);
        expect(pids.filter((pid) => !alive(pid))).toEqual([]);
      },
      async dispose() {
        const database = new URL(url).pathname.slice(1);
        await sqlOn(postgres.url(), `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      },
    };
  },
});
