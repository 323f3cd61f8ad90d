/** The SQL of the PostgreSQL store: reading a run's rows (all, or those changed since a seq) and writing one update's rows. */
import type pg from 'pg';
import { COLLECTIONS, type CollectionName, RUN_COLUMNS } from './postgres-rows.js';
import type { RowChanges, TableRow } from './postgres-snapshot.js';

// One statement, so one snapshot of the database even outside a transaction: the run row, and every row of the
// run's collections written after $2. A full load ($3 false) skips the tombstones of removed entries.
const CHANGES_SQL = [
  "SELECT 'runs' AS t, to_jsonb(r) AS row FROM runs r WHERE run_key = $1",
  ...COLLECTIONS.map(
    ({ table }) => `SELECT '${table}', to_jsonb(x) FROM ${table} x WHERE run_key = $1 AND updated_seq > $2 AND (NOT deleted OR $3)`,
  ),
].join('\nUNION ALL\n');

/** The run row and the rows written after `afterSeq` (every live row when undefined); empty when the run does not exist. */
export async function loadRows(client: pg.ClientBase, input: { run: string; afterSeq: number | undefined }): Promise<TableRow[]> {
  const incremental = input.afterSeq !== undefined;
  const result = await client.query<{ t: TableRow['table']; row: Record<string, unknown> }>(CHANGES_SQL, [
    input.run,
    input.afterSeq ?? -1,
    incremental,
  ]);
  return result.rows.map(({ t, row }) => ({ table: t, row }));
}

/** The run's seq, locking its row until the transaction ends; undefined when the run does not exist. */
export async function lockRun(client: pg.ClientBase, run: string): Promise<number | undefined> {
  const result = await client.query<{ seq: string }>('SELECT seq FROM runs WHERE run_key = $1 FOR UPDATE', [run]);
  const row = result.rows[0];
  return row === undefined ? undefined : Number(row.seq);
}

const RUN_WRITTEN = ['version', 'seq', ...RUN_COLUMNS.map(({ column }) => column), 'data'];
const RUN_LIST = RUN_WRITTEN.join(', ');

/** Inserts the run row of a new run; false when another process created it first. */
export async function insertRun(client: pg.ClientBase, input: { run: string; row: Record<string, unknown> }): Promise<boolean> {
  const result = await client.query(
    `INSERT INTO runs (run_key, ${RUN_LIST}) SELECT $1, ${RUN_LIST} FROM jsonb_populate_record(NULL::runs, $2::jsonb) ON CONFLICT (run_key) DO NOTHING`,
    [input.run, JSON.stringify(input.row)],
  );
  return result.rowCount === 1;
}

/** Writes the run row (its seq changes with every update). */
export async function updateRun(client: pg.ClientBase, input: { run: string; row: Record<string, unknown> }): Promise<void> {
  await client.query(
    `UPDATE runs SET (${RUN_LIST}) = (SELECT ${RUN_LIST} FROM jsonb_populate_record(NULL::runs, $2::jsonb)) WHERE run_key = $1`,
    [input.run, JSON.stringify(input.row)],
  );
}

/** Upserts the changed entries and marks the removed ones, one statement each per table; every row written carries `seq`. */
export async function writeCollections(client: pg.ClientBase, input: { run: string; seq: number; changes: RowChanges }): Promise<number> {
  let statements = 0;
  for (const spec of COLLECTIONS) {
    const change = input.changes.collections.get(spec.table);
    if (change === undefined) continue;
    if (change.upserts.length > 0) {
      await upsertRows(client, { table: spec.table, columns: spec.columns.map(({ column }) => column), ...input, rows: change.upserts });
      statements += 1;
    }
    if (change.deletes.length > 0) {
      await client.query(`UPDATE ${spec.table} SET deleted = true, updated_seq = $2 WHERE run_key = $1 AND key = ANY($3::text[])`, [
        input.run,
        input.seq,
        change.deletes,
      ]);
      statements += 1;
    }
  }
  return statements;
}

async function upsertRows(
  client: pg.ClientBase,
  input: { table: CollectionName; columns: string[]; run: string; seq: number; rows: Record<string, unknown>[] },
): Promise<void> {
  const own = ['key', 'position', 'data', ...input.columns];
  const list = own.join(', ');
  const updates = ['position', 'data', ...input.columns].map((column) => `${column} = EXCLUDED.${column}`).join(', ');
  await client.query(
    `INSERT INTO ${input.table} (run_key, updated_seq, deleted, ${list})
     SELECT $1, $2, false, ${list} FROM jsonb_populate_recordset(NULL::${input.table}, $3::jsonb)
     ON CONFLICT (run_key, key) DO UPDATE SET updated_seq = EXCLUDED.updated_seq, deleted = false, ${updates}`,
    [input.run, input.seq, JSON.stringify(input.rows)],
  );
}

/** One ledger row per update of a commit, all with this commit's id, and the NOTIFY of the new seq (sent at COMMIT). */
export async function appendLedger(
  client: pg.ClientBase,
  input: { run: string; at: string; commitId: string; updates: { seq: number; events: unknown[] }[]; channel: string; seq: number },
): Promise<void> {
  await client.query(
    `INSERT INTO ledger (run_key, seq, at, commit_id, events)
     SELECT $1, u.seq, $2, $3::uuid, u.events FROM jsonb_to_recordset($4::jsonb) AS u(seq bigint, events jsonb)`,
    [input.run, input.at, input.commitId, JSON.stringify(input.updates)],
  );
  await client.query('SELECT pg_notify($1, $2)', [input.channel, String(input.seq)]);
}

/** True when the commit `commitId` went through (its answer may have been lost with the connection). */
export async function commitExists(client: pg.ClientBase, input: { run: string; afterSeq: number; commitId: string }): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM ledger WHERE run_key = $1 AND seq > $2 AND commit_id = $3::uuid LIMIT 1', [
    input.run,
    input.afterSeq,
    input.commitId,
  ]);
  return (result.rowCount ?? 0) > 0;
}

/** The ledger rows after `afterSeq`, in order. */
export async function ledgerRows(
  client: pg.ClientBase,
  input: { run: string; afterSeq: number },
): Promise<{ seq: number; at: string; events: unknown }[]> {
  const result = await client.query<{ seq: string; at: string; events: unknown }>(
    'SELECT seq, at, events FROM ledger WHERE run_key = $1 AND seq > $2 ORDER BY seq',
    [input.run, input.afterSeq],
  );
  return result.rows.map((row) => ({ seq: Number(row.seq), at: row.at, events: row.events }));
}

/** The run's seq now, without a lock; undefined when the run does not exist. */
export async function readSeq(client: pg.ClientBase, run: string): Promise<number | undefined> {
  const result = await client.query<{ seq: string }>('SELECT seq FROM runs WHERE run_key = $1', [run]);
  const row = result.rows[0];
  return row === undefined ? undefined : Number(row.seq);
}

/** Deletes the tombstones of entries removed at or before `horizon`, and records the horizon on the run row. */
export async function purgeTombstones(client: pg.ClientBase, input: { run: string; horizon: number }): Promise<void> {
  for (const { table } of COLLECTIONS) {
    await client.query(`DELETE FROM ${table} WHERE run_key = $1 AND deleted AND updated_seq <= $2`, [input.run, input.horizon]);
  }
  await client.query('UPDATE runs SET purged_seq = $2 WHERE run_key = $1', [input.run, input.horizon]);
}
