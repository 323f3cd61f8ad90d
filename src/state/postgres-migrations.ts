/**
 * The PostgreSQL schema of the team state, as numbered migrations kept in code. Each one is applied
 * once, in its own transaction, under an advisory lock, so processes starting at once do not race;
 * `schema_migrations` records what was applied.
 */
import type pg from 'pg';
import { AgentTeamError } from '../errors/index.js';
import { TRANSITION_FUNCTIONS } from './postgres-transitions-sql.js';

// The functions a client calls (postgres-queries.ts, postgres-transitions.ts); the helpers they call are not listed.
export const GENERIC_PLAN_FUNCTIONS: readonly string[] = [
  'agent_team_commit',
  'agent_team_lock',
  'agent_team_look',
  'agent_team_claim',
  'agent_team_report_done',
  'agent_team_register',
  'agent_team_beat',
];

/** One step of the schema. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

// Columns every collection table shares: the run it belongs to, the entry's key (a task id, an
// agent's key…), its place in its list, the seq of the update that last wrote it, and a tombstone
// so that a process holding an older copy learns of a removal from the rows changed since.
const collection = (table: string, columns: string, extra = ''): string => `
CREATE TABLE ${table} (
  run_key text NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  key text NOT NULL,
  position integer NOT NULL,
  updated_seq bigint NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  ${columns}
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (run_key, key)${extra}
);
CREATE INDEX ${table}_changes ON ${table} (run_key, updated_seq);`;

// The collection tables and their own columns as migration 1 made them, for the commit function of migration 3.
const COMMIT_TABLES: readonly { table: string; columns: readonly string[] }[] = [
  { table: 'tasks', columns: ['role', 'status', 'assignee', 'fence'] },
  { table: 'blockers', columns: ['task_id', 'status'] },
  { table: 'messages', columns: [] },
  { table: 'agents', columns: ['role', 'status'] },
  { table: 'reservations', columns: ['agent_id', 'usd', 'tokens'] },
  {
    table: 'budget',
    columns: [
      'limit_usd',
      'limit_tokens',
      'per_agent_usd',
      'per_agent_tokens',
      'spent_usd',
      'spent_tokens',
      'reserved_usd',
      'reserved_tokens',
    ],
  },
];
const COMMIT_RUN_COLUMNS = [
  'version',
  'seq',
  'id',
  'feature',
  'status',
  'simulated',
  'options',
  'created_at',
  'updated_at',
  'ended_at',
  'end_reason',
  'integration_summary',
  'resumes',
  'owner',
  'data',
].join(', ');

// A commit in one statement (so one round trip, and the run row locked only while the server runs it): the run's
// seq is moved on only if it is still the one the commit's updates ran on; if so every row is written, with the
// ledger and the NOTIFY, and one row ('committed') is returned; if not, nothing is written and the run row and the rows changed
// since that seq are returned (the run row missing: no row at all), for the caller to catch up and try again. Its
// statements are static, so each session plans them once; a removal is one statement per key, which no plan can turn
// into a scan of the run.
// From migration 4 it also writes the tasks' levels and dependents when the plan's graph changed (p_writes.graph),
// and the seq of that commit as the run's graph_seq (and as its ids_seq when a task was removed or moved).
const commitFunction = (version: { graph: boolean } = { graph: false }): string => {
  const upserts = COMMIT_TABLES.map(({ table, columns }) => {
    const own = ['key', 'position', 'data', ...columns];
    const updates = ['position', 'data', ...columns].map((column) => `${column} = EXCLUDED.${column}`).join(', ');
    return `
  IF jsonb_array_length(COALESCE(p_writes #> '{${table},upserts}', '[]')) > 0 THEN
    INSERT INTO ${table} (run_key, updated_seq, deleted, ${own.join(', ')})
      SELECT p_run, v_seq, false, ${own.join(', ')} FROM jsonb_populate_recordset(NULL::${table}, p_writes #> '{${table},upserts}')
      ON CONFLICT (run_key, key) DO UPDATE SET updated_seq = EXCLUDED.updated_seq, deleted = false, ${updates};
  END IF;
  IF jsonb_array_length(COALESCE(p_writes #> '{${table},deletes}', '[]')) > 0 THEN
    FOR v_key IN SELECT jsonb_array_elements_text(p_writes #> '{${table},deletes}') LOOP
      UPDATE ${table} SET deleted = true, updated_seq = v_seq WHERE run_key = p_run AND key = v_key;
    END LOOP;
  END IF;`;
  }).join('');
  const graph = version.graph
    ? `
  IF p_writes ? 'graph' THEN
    UPDATE tasks t SET level = g.level, dependents = g.dependents
      FROM jsonb_to_recordset(p_writes -> 'graph') AS g(key text, level integer, dependents text[])
      WHERE t.run_key = p_run AND t.key = g.key;
    UPDATE runs SET graph_seq = v_seq, ids_seq = CASE WHEN p_writes ? 'idsRewritten' THEN v_seq ELSE ids_seq END WHERE run_key = p_run;
  END IF;`
    : '';
  const purges = COMMIT_TABLES.map(
    ({ table }) => `
    DELETE FROM ${table} WHERE run_key = p_run AND deleted AND updated_seq <= v_horizon;`,
  ).join('');
  const changes = COMMIT_TABLES.map(
    ({ table }) => `
    UNION ALL SELECT '${table}'::text, to_jsonb(x) FROM ${table} x WHERE x.run_key = p_run AND x.updated_seq > p_expected`,
  ).join('');
  return `
CREATE ${version.graph ? 'OR REPLACE ' : ''}FUNCTION agent_team_commit(p_run text, p_expected bigint, p_writes jsonb) RETURNS TABLE (t text, row_data jsonb)
LANGUAGE plpgsql AS $commit$
DECLARE
  v_seq bigint := (p_writes ->> 'seq')::bigint;
  v_horizon bigint := (p_writes ->> 'purgeHorizon')::bigint;
  v_key text;
BEGIN
  IF p_writes ? 'run' THEN
    UPDATE runs SET (${COMMIT_RUN_COLUMNS}) = (SELECT ${COMMIT_RUN_COLUMNS} FROM jsonb_populate_record(NULL::runs, p_writes -> 'run'))
      WHERE run_key = p_run AND runs.seq = p_expected;
  ELSE
    UPDATE runs SET seq = v_seq WHERE run_key = p_run AND runs.seq = p_expected;
  END IF;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'runs'::text, to_jsonb(r) FROM runs r WHERE r.run_key = p_run${changes};
    RETURN;
  END IF;${upserts}${graph}
  IF v_horizon IS NOT NULL THEN${purges}
    UPDATE runs SET purged_seq = v_horizon WHERE run_key = p_run;
  END IF;
  INSERT INTO ledger (run_key, seq, at, commit_id, events)
    SELECT p_run, u.seq, p_writes #>> '{ledger,at}', (p_writes #>> '{ledger,commitId}')::uuid, u.events
    FROM jsonb_to_recordset(p_writes #> '{ledger,updates}') AS u(seq bigint, events jsonb);
  PERFORM pg_notify(p_writes ->> 'channel', v_seq::text);
  RETURN QUERY SELECT 'committed'::text, NULL::jsonb;
END
$commit$;`;
};

// The lock of a commit that runs its updates under it: the run row locked until the transaction ends, and (read after
// the lock, each statement of the function with a snapshot of its own, so including every commit before it) the run
// row and the rows written after p_after (tombstones only when p_incremental). No row when the run does not exist.
const lockFunction = (): string => {
  const changes = COMMIT_TABLES.map(
    ({ table }) => `
    UNION ALL SELECT '${table}'::text, to_jsonb(x) FROM ${table} x
      WHERE x.run_key = p_run AND x.updated_seq > p_after AND (NOT x.deleted OR p_incremental)`,
  ).join('');
  return `
CREATE FUNCTION agent_team_lock(p_run text, p_after bigint, p_incremental boolean) RETURNS TABLE (t text, row_data jsonb)
LANGUAGE plpgsql AS $lock$
BEGIN
  PERFORM 1 FROM runs WHERE run_key = p_run FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT 'runs'::text, to_jsonb(r) FROM runs r WHERE r.run_key = p_run${changes};
END
$lock$;`;
};

/** Every migration, in order. Never edit one that shipped: add the next. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'team state as rows',
    sql: `
CREATE TABLE runs (
  run_key text PRIMARY KEY,
  version integer NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 0),
  id text,
  feature text,
  status text,
  simulated boolean,
  options jsonb,
  created_at text,
  updated_at text,
  ended_at text,
  end_reason text,
  integration_summary text,
  resumes integer,
  owner jsonb,
  owner_lease text GENERATED ALWAYS AS (owner ->> 'lease') STORED,
  owner_expires_at text GENERATED ALWAYS AS (owner ->> 'expiresAt') STORED,
  data jsonb NOT NULL DEFAULT '{}'::jsonb
);
${collection('tasks', 'role text, status text, assignee text, fence bigint,')}
${collection('blockers', 'task_id text, status text,')}
${collection('messages', '')}
${collection('agents', 'role text, status text,')}
${collection('reservations', 'agent_id text, usd double precision, tokens bigint,')}
${collection(
  'budget',
  `limit_usd double precision, limit_tokens bigint, per_agent_usd double precision, per_agent_tokens bigint,
  spent_usd double precision, spent_tokens bigint, reserved_usd double precision, reserved_tokens bigint,`,
  `,
  CONSTRAINT budget_within_limit CHECK ((limit_usd IS NULL OR spent_usd <= limit_usd) AND (limit_tokens IS NULL OR spent_tokens <= limit_tokens))`,
)}
-- One row per update: seq is gap-free per run; commit_id tells a retry whether a commit whose answer was lost went through.
CREATE TABLE ledger (
  run_key text NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
  seq bigint NOT NULL,
  at text NOT NULL,
  commit_id uuid NOT NULL,
  events jsonb NOT NULL,
  PRIMARY KEY (run_key, seq)
);`,
  },
  {
    version: 2,
    name: 'tombstone purge horizon',
    // Tombstones up to purged_seq may be gone: a copy older than it reloads every row instead of catching up.
    sql: 'ALTER TABLE runs ADD COLUMN purged_seq bigint NOT NULL DEFAULT 0',
  },
  {
    version: 3,
    name: 'commit and lock functions',
    sql: commitFunction() + lockFunction(),
  },
  {
    version: 4,
    name: 'task transitions on the server',
    // See postgres-transitions-sql.ts. A run of an earlier build gets its levels and dependents at its next commit.
    sql: `
ALTER TABLE tasks ADD COLUMN level integer NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN dependents text[] NOT NULL DEFAULT '{}';
ALTER TABLE runs ADD COLUMN graph_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN ids_seq bigint NOT NULL DEFAULT 0;
CREATE INDEX tasks_position ON tasks (run_key, position);
CREATE INDEX tasks_ready ON tasks (run_key, role, level DESC, position) WHERE status = 'ready' AND NOT deleted;
CREATE INDEX tasks_in_progress ON tasks (run_key, assignee) WHERE status = 'in_progress' AND NOT deleted;
CREATE INDEX tasks_ready_assignee ON tasks (run_key, assignee, position) WHERE status = 'ready' AND NOT deleted;
CREATE INDEX tasks_ready_files ON tasks (run_key, role) WHERE status = 'ready' AND NOT deleted AND jsonb_array_length(data -> 'files') > 0;
${commitFunction({ graph: true })}
${TRANSITION_FUNCTIONS}`,
  },
  {
    version: 5,
    name: 'generic plans, and indexes for the lookups transitions make',
    // A statement of a PL/pgSQL function is planned once per session only once its plan is generic. Left to choose,
    // the server kept planning these functions' statements again on every call (a custom plan for the parameters
    // looks no dearer than the generic one), which was half its time per transition. A generic plan does not know
    // the parameters' values, so every lookup the functions make goes by a whole key or by an index made for it: a
    // run's live reservations (the budget's reserved amount is reset when none is left) and a task's blockers.
    // The functions they call run under the same setting.
    sql: [
      'CREATE INDEX reservations_live ON reservations (run_key) WHERE NOT deleted;',
      'CREATE INDEX blockers_task ON blockers (run_key, task_id) WHERE NOT deleted;',
      ...GENERIC_PLAN_FUNCTIONS.map((name) => `ALTER FUNCTION ${name} SET plan_cache_mode = force_generic_plan;`),
    ].join('\n'),
  },
];

// pg_advisory_xact_lock key of the migrations: any constant that other applications are unlikely to use.
const MIGRATION_LOCK_KEY = 0x61676e74; // "agnt"

/** The database's schema is newer than this build: an older agent-team must not write into it. */
export class SchemaTooNewError extends AgentTeamError {
  constructor(input: { where: string; found: number; known: number }) {
    super(
      'state_schema_too_new',
      `The database of ${input.where} has schema version ${input.found}, newer than the ${input.known} this agent-team knows. ` +
        'Upgrade agent-team on this machine to the version that created it.',
      { exitCode: 4 },
    );
  }
}

/** Applies the migrations the database lacks, each once, in its own transaction under the advisory lock. Returns the versions applied. */
export async function migrate(input: { client: pg.ClientBase; where: string; migrations?: readonly Migration[] }): Promise<number[]> {
  const { client, where } = input;
  const migrations = input.migrations ?? MIGRATIONS;
  const known = Math.max(0, ...migrations.map((migration) => migration.version));
  // Cheap path for every start after the first: one query, no lock.
  const table = await client.query<{ exists: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists");
  if (table.rows[0]?.exists === true) {
    const latest = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
    const found = latest.rows[0]?.version ?? 0;
    if (found > known) throw new SchemaTooNewError({ where, found, known });
    if (found === known) return [];
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    await client.query('BEGIN');
    try {
      // Released at COMMIT or ROLLBACK: a process killed here leaves no lock behind.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (done.rowCount === 0) {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        applied.push(migration.version);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  return applied;
}
