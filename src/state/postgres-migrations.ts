/**
 * The PostgreSQL schema of the team state, as numbered migrations kept in code. Each one is applied
 * once, in its own transaction, under an advisory lock, so processes starting at once do not race;
 * `schema_migrations` records what was applied.
 */
import type pg from 'pg';
import { AgentTeamError } from '../errors/index.js';

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
