/**
 * The SQL of the PostgreSQL store: reading a run's rows (all, or those changed since a seq) and writing one
 * commit's rows. A commit on a copy that is still the newest version is one statement (commitIfAt), which
 * holds the run row's lock only while the server runs it. A commit under the lock takes two round trips
 * while it holds it, whatever it changed: one that begins, locks and reads what changed since this process's
 * copy, and one that writes every row, the ledger and the NOTIFY and commits. Each is one message of several
 * statements, whose values are written in as literals quoted by the driver (several statements in one
 * message cannot take parameters).
 */
import type pg from 'pg';
import { COLLECTIONS, type CollectionName, RUN_COLUMNS } from './postgres-rows.js';
import type { RowChanges, TableRow } from './postgres-snapshot.js';

// One statement, so one snapshot of the database even outside a transaction: the run row, and every row of the
// run's collections written after `afterSeq`. A full load (`incremental` false) skips the tombstones of removed
// entries. The arguments are SQL: parameters ($1…) or literals.
const changesSql = (input: { run: string; afterSeq: string; incremental: string }): string =>
  [
    `SELECT 'runs' AS t, to_jsonb(r) AS row FROM runs r WHERE run_key = ${input.run}`,
    ...COLLECTIONS.map(
      ({ table }) =>
        `SELECT '${table}', to_jsonb(x) FROM ${table} x WHERE run_key = ${input.run} AND updated_seq > ${input.afterSeq} AND (NOT deleted OR ${input.incremental})`,
    ),
  ].join('\nUNION ALL\n');

const CHANGES_SQL = changesSql({ run: '$1', afterSeq: '$2', incremental: '$3' });

/** The run row and the rows written after `afterSeq` (every live row when undefined); empty when the run does not exist. */
export async function loadRows(client: pg.ClientBase, input: { run: string; afterSeq: number | undefined }): Promise<TableRow[]> {
  const incremental = input.afterSeq !== undefined;
  // A named statement: each connection plans it once.
  const result = await client.query<{ t: TableRow['table']; row: Record<string, unknown> }>({
    name: 'agent_team_changes',
    text: CHANGES_SQL,
    values: [input.run, input.afterSeq ?? -1, incremental],
  });
  return result.rows.map(({ t, row }) => ({ table: t, row }));
}

/**
 * BEGIN, the run row locked until the transaction ends, and (read after the lock, so including every commit
 * before it) the run row and the rows written after `afterSeq`, in one round trip (agent_team_lock, see
 * postgres-migrations.ts). `seq` is undefined when the run does not exist.
 */
export async function beginLocked(
  client: pg.ClientBase,
  input: { run: string; afterSeq: number | undefined },
): Promise<{ seq: number | undefined; rows: TableRow[] }> {
  const run = client.escapeLiteral(input.run);
  const results = (await client.query(
    `BEGIN; SELECT t, row_data FROM agent_team_lock(${run}, ${input.afterSeq ?? -1}, ${input.afterSeq !== undefined})`,
  )) as unknown as pg.QueryResult[];
  const rows = ((results[1]?.rows ?? []) as { t: TableRow['table']; row_data: Record<string, unknown> }[]).map(({ t, row_data }) => ({
    table: t,
    row: row_data,
  }));
  const runRow = rows.find((entry) => entry.table === 'runs')?.row;
  return { seq: runRow === undefined ? undefined : Number(runRow.seq), rows };
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

/** What one commit writes after its run row is locked. */
export interface CommitWrites {
  readonly run: string;
  /** The run row: written whole, only its seq (the run itself did not change), or not at all (the commit inserted it). */
  readonly runRow: { readonly row: Record<string, unknown> } | 'seq' | 'inserted';
  /** The seq of the commit's last update, stamped on every row it writes. */
  readonly seq: number;
  readonly changes: RowChanges;
  /** Delete the tombstones of entries removed at or before this seq, and record it on the run row. */
  readonly purgeHorizon: number | undefined;
  /** One ledger row per update of the commit, all with its time and id. */
  readonly ledger: { at: string; commitId: string; updates: { seq: number; events: unknown[] }[] };
  /** The run's channel, notified of the new seq at COMMIT. */
  readonly channel: string;
}

/** Writes the run row, the changed entries (one statement per table and kind), the ledger, the NOTIFY, and commits: one round trip. */
export async function writeAndCommit(client: pg.ClientBase, input: CommitWrites): Promise<void> {
  const literal = (value: unknown): string => client.escapeLiteral(typeof value === 'string' ? value : JSON.stringify(value));
  const run = literal(input.run);
  const statements: string[] = [];
  if (input.runRow === 'seq') statements.push(`UPDATE runs SET seq = ${input.seq} WHERE run_key = ${run}`);
  else if (input.runRow !== 'inserted') {
    statements.push(
      `UPDATE runs SET (${RUN_LIST}) = (SELECT ${RUN_LIST} FROM jsonb_populate_record(NULL::runs, ${literal(input.runRow.row)}::jsonb)) WHERE run_key = ${run}`,
    );
  }
  for (const spec of COLLECTIONS) {
    const change = input.changes.collections.get(spec.table);
    if (change === undefined) continue;
    if (change.upserts.length > 0) {
      statements.push(
        upsertSql({
          table: spec.table,
          columns: spec.columns.map(({ column }) => column),
          run,
          seq: input.seq,
          rows: literal(change.upserts),
        }),
      );
    }
    if (change.deletes.length > 0) {
      statements.push(
        `UPDATE ${spec.table} SET deleted = true, updated_seq = ${input.seq} WHERE run_key = ${run} AND key IN (SELECT jsonb_array_elements_text(${literal(change.deletes)}::jsonb))`,
      );
    }
  }
  if (input.changes.graph !== undefined) {
    statements.push(
      `UPDATE tasks t SET level = g.level, dependents = g.dependents FROM jsonb_to_recordset(${literal(input.changes.graph)}::jsonb) AS g(key text, level integer, dependents text[]) WHERE t.run_key = ${run} AND t.key = g.key`,
      `UPDATE runs SET graph_seq = ${input.seq}${input.changes.idsRewritten === true ? `, ids_seq = ${input.seq}` : ''} WHERE run_key = ${run}`,
    );
  }
  if (input.purgeHorizon !== undefined) {
    for (const { table } of COLLECTIONS)
      statements.push(`DELETE FROM ${table} WHERE run_key = ${run} AND deleted AND updated_seq <= ${input.purgeHorizon}`);
    statements.push(`UPDATE runs SET purged_seq = ${input.purgeHorizon} WHERE run_key = ${run}`);
  }
  const { at, commitId, updates } = input.ledger;
  statements.push(
    `INSERT INTO ledger (run_key, seq, at, commit_id, events)
     SELECT ${run}, u.seq, ${literal(at)}, ${literal(commitId)}::uuid, u.events FROM jsonb_to_recordset(${literal(updates)}::jsonb) AS u(seq bigint, events jsonb)`,
    `SELECT pg_notify(${literal(input.channel)}, ${literal(String(input.seq))})`,
    'COMMIT',
  );
  await client.query(statements.join(';\n'));
}

/**
 * The commit of `writes` in one statement, made by the run's updates on the version `expected` (see
 * agent_team_commit in postgres-migrations.ts): undefined when it went through; else nothing was written,
 * and these are the run row and the rows changed since `expected` (none when the run row is gone).
 */
export async function commitIfAt(
  client: pg.ClientBase,
  input: { expected: number; writes: CommitWrites },
): Promise<TableRow[] | undefined> {
  const { writes } = input;
  const result = await client.query<{ t: TableRow['table']; row_data: Record<string, unknown> }>({
    name: 'agent_team_commit',
    text: 'SELECT t, row_data FROM agent_team_commit($1, $2, $3::jsonb)',
    values: [writes.run, input.expected, commitPayload(writes)],
  });
  return refusal(result.rows);
}

/**
 * Under the lock beginLocked took on the version `expected`: writes `writes` (agent_team_commit) and commits, one
 * round trip. False when the run was not at `expected` after all (nothing was written then).
 */
export async function writeLocked(client: pg.ClientBase, input: { expected: number; writes: CommitWrites }): Promise<boolean> {
  const { writes } = input;
  const results = (await client.query(
    `SELECT t, row_data FROM agent_team_commit(${client.escapeLiteral(writes.run)}, ${input.expected}, ${client.escapeLiteral(commitPayload(writes))}::jsonb); COMMIT`,
  )) as unknown as pg.QueryResult[];
  return refusal((results[0]?.rows ?? []) as { t: TableRow['table']; row_data: Record<string, unknown> }[]) === undefined;
}

/** The argument of agent_team_commit: the commit's seq, channel and ledger, the run row when it changed, and the changes per table. */
function commitPayload(writes: CommitWrites): string {
  const payload: Record<string, unknown> = {
    seq: writes.seq,
    channel: writes.channel,
    ledger: writes.ledger,
  };
  if (typeof writes.runRow === 'object') payload.run = writes.runRow.row;
  if (writes.purgeHorizon !== undefined) payload.purgeHorizon = writes.purgeHorizon;
  if (writes.changes.graph !== undefined) payload.graph = writes.changes.graph;
  if (writes.changes.idsRewritten === true) payload.idsRewritten = true;
  for (const [table, change] of writes.changes.collections) payload[table] = change;
  return JSON.stringify(payload);
}

/** What agent_team_commit answered: undefined when it committed, else the rows of the refusal. */
function refusal(rows: readonly { t: TableRow['table']; row_data: Record<string, unknown> }[]): TableRow[] | undefined {
  if (rows.length === 1 && rows[0]?.t === ('committed' as string)) return undefined;
  return rows.map(({ t, row_data }) => ({ table: t, row: row_data }));
}

function upsertSql(input: { table: CollectionName; columns: string[]; run: string; seq: number; rows: string }): string {
  const own = ['key', 'position', 'data', ...input.columns];
  const list = own.join(', ');
  const updates = ['position', 'data', ...input.columns].map((column) => `${column} = EXCLUDED.${column}`).join(', ');
  return `INSERT INTO ${input.table} (run_key, updated_seq, deleted, ${list})
     SELECT ${input.run}, ${input.seq}, false, ${list} FROM jsonb_populate_recordset(NULL::${input.table}, ${input.rows}::jsonb)
     ON CONFLICT (run_key, key) DO UPDATE SET updated_seq = EXCLUDED.updated_seq, deleted = false, ${updates}`;
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

/**
 * The seq of the run's last ledger row, or, with `eventType`, of the last row holding an event of that type (a row
 * holds one update's events: an array, or one object); undefined when there is none.
 */
export async function lastLedgerSeq(
  client: pg.ClientBase,
  input: { run: string; eventType?: string | undefined },
): Promise<number | undefined> {
  const result =
    input.eventType === undefined
      ? await client.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM ledger WHERE run_key = $1', [input.run])
      : await client.query<{ seq: string | null }>(
          'SELECT max(seq) AS seq FROM ledger WHERE run_key = $1 AND (events @> $2::jsonb OR events @> $3::jsonb)',
          [input.run, JSON.stringify([{ type: input.eventType }]), JSON.stringify({ type: input.eventType })],
        );
  const seq = result.rows[0]?.seq;
  return seq === null || seq === undefined ? undefined : Number(seq);
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
