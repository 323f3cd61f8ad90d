import { createConnection, createServer, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateMissingError, StorageError } from '../../src/errors/index.js';
import { emptyUsage } from '../../src/providers/index.js';
import { type PostgresRetry, PostgresStore, redactPostgresUrl, type TeamState } from '../../src/state/index.js';
import { GENERIC_PLAN_FUNCTIONS, MIGRATIONS, migrate } from '../../src/state/postgres-migrations.js';
import { spawnNode, type Worker } from '../fixtures/worker-processes.js';
import { bundledScript } from '../support/bundled-script.js';
import { postgresForFile } from '../support/postgres.js';
import { createTeamProject, hangGuard, runningState, type TeamProject } from './conformance/team-setup.js';

const server = postgresForFile();
const migrateWorker = fileURLToPath(new URL('./postgres-migrate-worker.ts', import.meta.url));
const freezeWorker = fileURLToPath(new URL('./postgres-freeze-worker.ts', import.meta.url));
// A bound for a broken store only.
const HANG_GUARD_MS = 60_000;
const PASSWORD = 'pw-Zq8xK2vLr7';

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

/** `url` with `password` set, as a user would write it. */
function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

describe('PostgresStore', () => {
  let project: TeamProject;
  const stores: PostgresStore[] = [];
  const open = (options: ConstructorParameters<typeof PostgresStore>[0]): PostgresStore => {
    const store = new PostgresStore(options);
    stores.push(store);
    return store;
  };
  /** A fresh database holding a running run with `tasks` ready tasks. */
  const runIn = async (tasks: number, extra: { limitTokens?: number } = {}): Promise<{ url: string; store: PostgresStore }> => {
    const url = await (await server()).createDatabase();
    const initial = runningState({ config: project.config, tasks, ...extra });
    const store = open({ url, run: 'r1', initial: () => structuredClone(initial) });
    await store.update(() => undefined);
    return { url, store };
  };

  beforeAll(async () => {
    project = await createTeamProject();
  });
  afterAll(async () => {
    await Promise.allSettled(stores.map((store) => store.close()));
    await project?.remove();
  });

  describe('migrations', () => {
    it('applies each migration once when four processes start on an empty database at the same moment', async () => {
      const url = await (await server()).createDatabase();
      const migrateBundle = await bundledScript(migrateWorker);
      const workers: Worker[] = Array.from({ length: 4 }, () => spawnNode([migrateBundle, url]));
      try {
        await Promise.all(workers.map((worker) => worker.line((line) => line === 'ready')));
        for (const worker of workers) worker.child.stdin.write('go\n');
        const codes = await Promise.all(workers.map((worker) => worker.exited));
        expect(codes, workers.map((worker) => worker.stderr()).join('\n')).toEqual([0, 0, 0, 0]);
        const applied = await Promise.all(
          workers.map(async (worker) => (JSON.parse(await worker.line((line) => line.startsWith('{'))) as { applied: number[] }).applied),
        );
        // Every version applied by exactly one process, the others finding it done.
        expect(applied.flat().sort()).toEqual(MIGRATIONS.map((migration) => migration.version));
        const recorded = await sqlOn<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
        expect(recorded.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
      } finally {
        for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      }
    });

    it('applies a migration in one transaction: a failing one leaves nothing of itself, and the next start applies it', async () => {
      const url = await (await server()).createDatabase();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const first = { version: 1, name: 'first', sql: 'CREATE TABLE first_table (id int)' };
        const broken = { version: 2, name: 'second', sql: 'CREATE TABLE second_table (id int); SELECT 1 / 0' };
        await expect(migrate({ client, where: 'test', migrations: [first, broken] })).rejects.toThrow(/division by zero/);
        const tables = async (): Promise<string[]> =>
          (
            await client.query<{ name: string }>(
              "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%_table' ORDER BY 1",
            )
          ).rows.map((row) => row.name);
        expect(await tables()).toEqual(['first_table']);
        const fixed = { ...broken, sql: 'CREATE TABLE second_table (id int)' };
        expect(await migrate({ client, where: 'test', migrations: [first, fixed] })).toEqual([2]);
        expect(await migrate({ client, where: 'test', migrations: [first, fixed] })).toEqual([]);
        expect(await tables()).toEqual(['first_table', 'second_table']);
        // A build that knows fewer migrations than the database has must not write into it.
        await expect(migrate({ client, where: 'the test database', migrations: [first] })).rejects.toMatchObject({
          code: 'state_schema_too_new',
          message: expect.stringContaining('schema version 2, newer than the 1'),
        });
      } finally {
        await client.end();
      }
    });

    it('runs every function a client calls with generic plans, planned once per session', async () => {
      const { url } = await runIn(1);
      const functions = await sqlOn<{ name: string; config: string[] | null; source: string }>(
        url,
        "SELECT proname AS name, proconfig AS config, prosrc AS source FROM pg_proc WHERE proname LIKE 'agent\\_team\\_%' ORDER BY proname",
      );
      // What a client calls is what no function of the store calls.
      const called = (name: string): boolean => functions.some((other) => other.name !== name && other.source.includes(`${name}(`));
      const entries = functions.filter((candidate) => !called(candidate.name));
      expect(entries.map((entry) => entry.name)).toEqual([...GENERIC_PLAN_FUNCTIONS].sort());
      for (const entry of entries) expect(entry.config, entry.name).toEqual(['plan_cache_mode=force_generic_plan']);
      // The helpers inherit the setting and pay nothing for it.
      for (const helper of functions.filter(({ name }) => called(name))) expect(helper.config, helper.name).toBeNull();
    });
  });

  describe('rows', () => {
    it('writes only the rows an update changed, each stamped with that update’s seq', async () => {
      const { url, store } = await runIn(20);
      const versions = async (): Promise<Map<string, { xmin: string; seq: number }>> => {
        const rows = await sqlOn<{ name: string; xmin: string; seq: string }>(
          url,
          ['tasks', 'agents', 'blockers', 'messages', 'reservations', 'budget']
            .map((table) => `SELECT '${table}:' || key AS name, xmin::text AS xmin, updated_seq AS seq FROM ${table}`)
            .join(' UNION ALL '),
        );
        return new Map(rows.map((row) => [row.name, { xmin: row.xmin, seq: Number(row.seq) }]));
      };
      const before = await versions();
      expect(before.size).toBeGreaterThan(20);
      // An update sees the seq before its own; its rows carry the one after.
      const seq =
        1 +
        (await store.update((state) => {
          const agent = state.agents['dev-3'];
          const task = state.tasks[4];
          if (agent === undefined || task === undefined) throw new Error('fixture lacks dev-3 or T5');
          agent.calls += 1;
          task.title = 'Task 5, renamed';
          return state.seq;
        }));
      const after = await versions();
      const rewritten = [...after].filter(([name, row]) => before.get(name)?.xmin !== row.xmin).map(([name]) => name);
      expect(rewritten.sort()).toEqual(['agents:dev-3', 'tasks:T5']);
      expect(after.get('tasks:T5')?.seq).toBe(seq);
      expect(after.get('tasks:T4')?.seq).toBeLessThan(seq);

      // An update that changes nothing but the seq writes the run row and its ledger row only.
      await store.update(() => undefined);
      const unchanged = await versions();
      expect([...unchanged].filter(([name, row]) => after.get(name)?.xmin !== row.xmin)).toEqual([]);
      const ledger = await sqlOn<{ seq: string }>(url, 'SELECT seq FROM ledger ORDER BY seq');
      expect(ledger.map((row) => Number(row.seq))).toEqual(Array.from({ length: seq + 1 }, (_, index) => index + 1));
    });

    it("catches up with another handle's changes, removals and reorders, and agrees with a fresh read", async () => {
      const { url, store: first } = await runIn(6);
      await first.read();
      const second = open({ url, run: 'r1' });
      await second.update((state) => {
        // Remove T2, move T1 to the end, add T9, drop an agent, hold a reservation.
        state.tasks = [...state.tasks.filter((task) => task.id !== 'T1' && task.id !== 'T2'), state.tasks[0] as TeamState['tasks'][number]];
        state.tasks.push({ ...(state.tasks[0] as TeamState['tasks'][number]), id: 'T9', title: 'Task 9' });
        delete state.agents['dev-6'];
        state.budget.reservations['dev-1-0'] = { agentId: 'dev-1', usd: 0, tokens: 100 };
        state.budget.reservedTokens += 100;
      });
      const caughtUp = await first.read();
      const fresh = await open({ url, run: 'r1' }).read();
      expect(caughtUp).toEqual(fresh);
      expect(caughtUp.tasks.map((task) => task.id)).toEqual(['T3', 'T4', 'T5', 'T6', 'T1', 'T9']);
      expect(Object.keys(caughtUp.agents)).not.toContain('dev-6');

      // Removed entries stay removed through the next update of the first handle, and come back only when added.
      await second.update((state) => {
        delete state.budget.reservations['dev-1-0'];
        state.budget.reservedTokens -= 100;
      });
      const next = await first.update((state) => {
        state.tasks.push({ ...(state.tasks[0] as TeamState['tasks'][number]), id: 'T2', title: 'Task 2 again' });
        return structuredClone(state);
      });
      expect(next.budget.reservations).toEqual({});
      expect(await open({ url, run: 'r1' }).read()).toEqual(await first.read());
      expect((await first.read()).tasks.map((task) => task.id)).toEqual(['T3', 'T4', 'T5', 'T6', 'T1', 'T9', 'T2']);
    });

    it('runs an update again on the newest version when another handle committed since its copy, and writes it once', async () => {
      const { url, store: first } = await runIn(3);
      const second = open({ url, run: 'r1' });
      const plain = (state: TeamState): unknown => JSON.parse(JSON.stringify(state));
      const { seq: startSeq } = await second.read();
      // Commits of `second` on a copy that is still the newest version: each goes through at the first run.
      let runs = 0;
      await second.update((state) => {
        runs += 1;
        (state.tasks[0] as TeamState['tasks'][number]).title = 'first change';
      });
      expect(runs).toBe(1);
      await first.update((state) => {
        state.budget.spentTokens += 1;
        (state.tasks[1] as TeamState['tasks'][number]).title = 'changed elsewhere';
      });
      // `second`'s copy is one version behind: its first run is refused and nothing of it is written.
      runs = 0;
      const seen = await second.update((state) => {
        runs += 1;
        state.budget.spentTokens += 10;
        (state.tasks[2] as TeamState['tasks'][number]).title = `run ${runs}`;
        state.tasks.push({ ...(state.tasks[2] as TeamState['tasks'][number]), id: 'T9', title: `appended in run ${runs}` });
        return { spent: state.budget.spentTokens, other: state.tasks[1]?.title };
      });
      expect(runs).toBe(2);
      expect(seen).toEqual({ spent: 11, other: 'changed elsewhere' });
      const fresh = await open({ url, run: 'r1' }).read();
      expect(fresh.budget.spentTokens).toBe(11);
      expect(fresh.tasks.map((task) => task.title)).toEqual(['first change', 'changed elsewhere', 'run 2', 'appended in run 2']);
      expect(
        (await sqlOn<{ seq: string }>(url, 'SELECT seq FROM ledger WHERE seq > $1 ORDER BY seq', [startSeq])).map((row) => Number(row.seq)),
      ).toEqual([startSeq + 1, startSeq + 2, startSeq + 3]);
      // The copy `second` keeps for its next update is the newest version, the refused run's changes gone.
      const newest = plain(await open({ url, run: 'r1' }).read());
      expect(await second.update((state) => plain(state))).toEqual(newest);
    });

    it('gives each update the state a fresh read holds, whatever the updates before did to the copy it keeps', async () => {
      const { url, store: kept } = await runIn(6);
      const other = open({ url, run: 'r1' });
      type Task = TeamState['tasks'][number];
      const plain = (state: TeamState): unknown => JSON.parse(JSON.stringify(state));
      const task = (state: TeamState, index: number): Task => state.tasks[index] as Task;
      const agree = async (): Promise<void> => {
        const fresh = plain(await open({ url, run: 'r1' }).read());
        expect(await kept.update((state) => plain(state))).toEqual(fresh);
      };
      await agree();
      // In place, deep down: a nested list of a task and of an agent.
      await kept.update((state) => {
        task(state, 0).files.push('src/a.ts');
        state.agents['dev-1']?.activeTasks.push('T1');
      });
      await agree();
      // A field with a default removed, a field the schema drops added to an agent, a field added to the state.
      await kept.update((state) => {
        delete (task(state, 1) as Partial<Task>).gates;
        (state.agents['dev-2'] as unknown as Record<string, unknown>).note = 'dropped';
        (state as unknown as Record<string, unknown>).extra = 1;
      });
      await agree();
      // An update that throws after changing the copy, and one that makes it invalid.
      await expect(
        kept.update((state) => {
          task(state, 2).title = 'half done';
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      await expect(
        kept.update((state) => {
          (task(state, 3) as { status: string }).status = 'lost';
        }),
      ).rejects.toMatchObject({ code: 'state_update_invalid' });
      await agree();
      // Another handle's changes in place, then changes that add, remove and move entries.
      await other.update((state) => {
        task(state, 4).title = 'renamed elsewhere';
        state.budget.spentTokens += 5;
      });
      await agree();
      await other.update((state) => {
        state.tasks = [task(state, 5), ...state.tasks.slice(1, 5)];
        state.tasks.push({ ...task(state, 1), id: 'T7', title: 'Task 7' });
        delete state.agents['dev-6'];
      });
      await agree();
      // An entry replaced by a new object, and a group of two updates committed together.
      await Promise.all([
        kept.update((state) => {
          state.tasks[2] = { ...task(state, 2), title: 'a new object' };
        }),
        kept.update((state) => {
          task(state, 2).title += ', changed again';
        }),
      ]);
      await agree();
      expect((await open({ url, run: 'r1' }).read()).tasks[2]?.title).toBe('a new object, changed again');
    });

    it('purges old tombstones, and a handle whose copy is older than them reloads every row', async () => {
      const { url, store: stale } = await runIn(3);
      const seen = await stale.read();
      const busy = open({ url, run: 'r1', purge: { everySeqs: 5, keepSeqs: 3 } });
      await busy.update((state) => {
        state.tasks = state.tasks.filter((task) => task.id !== 'T1');
      });
      for (let index = 0; index < 12; index += 1) {
        await busy.update((state) => {
          state.budget.reservations = { [`dev-1-${index}`]: { agentId: 'dev-1', usd: 0, tokens: 10 } };
          state.budget.reservedTokens = 10;
        });
      }
      const [run] = await sqlOn<{ seq: string; purged: string }>(url, 'SELECT seq, purged_seq AS purged FROM runs');
      expect(Number(run?.purged)).toBeGreaterThan(seen.seq + 1);
      // T1's tombstone is gone with the others up to the horizon; those after it stay for handles that are behind.
      const tombstones = await sqlOn<{ name: string; seq: string }>(
        url,
        "SELECT 'tasks:' || key AS name, updated_seq AS seq FROM tasks WHERE deleted UNION ALL SELECT 'reservations:' || key, updated_seq FROM reservations WHERE deleted",
      );
      expect(tombstones.map((row) => row.name)).not.toContain('tasks:T1');
      expect(tombstones.filter((row) => Number(row.seq) <= Number(run?.purged))).toEqual([]);
      // 11 reservations and T1 were removed; only the ones after the horizon are left.
      expect(tombstones.length).toBe(Number(run?.seq) - Number(run?.purged));
      const caughtUp = await stale.read();
      expect(caughtUp.tasks.map((task) => task.id)).toEqual(['T2', 'T3']);
      expect(caughtUp).toEqual(await open({ url, run: 'r1' }).read());
    });

    it('purges once the horizon is far enough past the last purge, however the commits in between fell', async () => {
      const { url } = await runIn(1);
      // Every commit of `busy` comes right after a multiple of everySeqs: none of them crosses one.
      const busy = open({ url, run: 'r1', purge: { everySeqs: 5, keepSeqs: 3 } });
      const other = open({ url, run: 'r1', purge: { everySeqs: 1_000_000, keepSeqs: 3 } });
      const reserve = (key: string) => (state: TeamState) => {
        state.budget.reservations = { [key]: { agentId: 'dev-1', usd: 0, tokens: 10 } };
        state.budget.reservedTokens = 10;
      };
      const purged = async (): Promise<number> =>
        Number((await sqlOn<{ purged: string }>(url, 'SELECT purged_seq AS purged FROM runs'))[0]?.purged);
      for (let round = 0; round < 4; round += 1) {
        while ((await other.read()).seq % 5 !== 0) await other.update(reserve(`other-${round}-${(await other.read()).seq}`));
        await busy.update(reserve(`busy-${round}`));
      }
      const { seq } = await busy.read();
      const horizon = await purged();
      // The last purge was at one of busy's last two commits (five seqs apart), keeping the last 3 seqs.
      expect(horizon).toBeGreaterThanOrEqual(seq - 3 - 5);
      const tombstones = await sqlOn<{ seq: string }>(url, 'SELECT updated_seq AS seq FROM reservations WHERE deleted');
      expect(tombstones.length).toBeGreaterThan(0);
      expect(tombstones.filter((row) => Number(row.seq) <= horizon)).toEqual([]);
    });

    it('names the table, row and column of a row an operator broke, whichever table it is in', async () => {
      const { url } = await runIn(1);
      const readError = async (): Promise<unknown> =>
        open({ url, run: 'r1' })
          .read()
          .catch((error: unknown) => error);
      await sqlOn(url, "UPDATE agents SET data = jsonb_set(data, '{calls}', '-1') WHERE key = 'dev-2'");
      const broken = await readError();
      expect(broken).toMatchObject({
        code: 'state_corrupted',
        message: expect.stringMatching(/table agents, row "dev-2": field calls \(column data\): .*found -1/),
      });
      // Worded for a database: no state file, no .bak beside it.
      expect((broken as Error).message).toMatch(/^The team state of run "r1" in PostgreSQL postgres.* is corrupted: /);
      expect((broken as Error).message).toContain('restore the database from a backup');
      expect((broken as Error).message).not.toMatch(/State file|\.bak/);
      await expect(open({ url, run: 'no-such-run' }).read()).rejects.toMatchObject({
        code: 'state_missing',
        message: expect.stringMatching(/^There is no team state for run "no-such-run" in PostgreSQL .*--store <url>/),
      });
      await sqlOn(url, "UPDATE agents SET data = jsonb_set(data, '{calls}', '0') WHERE key = 'dev-2'");
      await sqlOn(url, 'UPDATE budget SET spent_tokens = -5');
      expect(await readError()).toMatchObject({
        message: expect.stringMatching(/table budget, row "budget": field spentTokens \(column spent_tokens\)/),
      });
      await sqlOn(url, 'UPDATE budget SET spent_tokens = 0');
      await sqlOn(url, 'UPDATE runs SET version = 2');
      expect(await readError()).toMatchObject({ message: expect.stringContaining('table runs, row of the run: column version is 2') });
    });

    it('does not let a process frozen mid-commit hold up the others: its session is ended after the lock hold limit', async () => {
      const { url, store } = await runIn(2);
      const frozen = spawnNode([await bundledScript(freezeWorker), url, 'r1', '500']);
      try {
        await frozen.line((line) => line === 'ready');
        // A commit it hears of: it commits after it, taking the run row's lock first, and freezes holding it.
        await store.update((state) => {
          state.budget.reservedTokens = 3;
        });
        await frozen.line((line) => line === 'holding');
        // The frozen process holds the run row's lock in an idle transaction; this commit waits for the server to end it.
        const other = open({ url, run: 'r1', lockHoldLimitMs: 500 });
        await hangGuard(
          other.update((state) => {
            state.budget.reservedTokens = 7;
          }),
          HANG_GUARD_MS,
          'a commit behind a frozen one',
        );
        expect((await store.read()).budget.reservedTokens).toBe(7);
        const sessions = await sqlOn<{ n: string }>(url, "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'idle in transaction'");
        expect(Number(sessions[0]?.n)).toBe(0);
      } finally {
        frozen.child.kill('SIGKILL');
      }
    });

    it('keeps two watches of one callback apart: stopping one leaves the other', async () => {
      const { url, store } = await runIn(0);
      const watcher = open({ url, run: 'r1' });
      await watcher.read();
      let calls = 0;
      const onChange = (): void => {
        calls += 1;
      };
      const stopFirst = watcher.watch(onChange);
      const heard = new Promise<void>((resolve) => watcher.watch(() => resolve()));
      const stopSecond = watcher.watch(onChange);
      stopFirst();
      await store.update(() => undefined);
      await hangGuard(heard, HANG_GUARD_MS, 'watch() after an update');
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).toBe(1);
      stopSecond();
    });

    it('writes nothing when an update throws, and refuses an invalid state naming the entry', async () => {
      const { url, store } = await runIn(2);
      const dump = async (): Promise<unknown[]> => sqlOn(url, 'SELECT to_jsonb(x) FROM tasks x ORDER BY key');
      const before = await dump();
      const seq = (await store.read()).seq;
      await expect(
        store.update((state) => {
          (state.tasks[0] as TeamState['tasks'][number]).title = 'half done';
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      await expect(
        store.update((state) => {
          (state.tasks[1] as { status: string }).status = 'lost';
        }),
      ).rejects.toMatchObject({ code: 'state_update_invalid', message: expect.stringContaining('tasks["T2"]: status') });
      expect(await dump()).toEqual(before);
      expect((await open({ url, run: 'r1' }).read()).seq).toBe(seq);
    });

    it('refuses spend over the budget limit through the database CHECK, and commits the rest of the group', async () => {
      const { url, store } = await runIn(0, { limitTokens: 1000 });
      const fair = store.update((state) => {
        state.budget.spentTokens += 400;
      });
      const over = store.update((state) => {
        // No guard in front: the budget row's constraint is what refuses it.
        state.budget.spentTokens += 700;
      });
      await expect(fair).resolves.toBeUndefined();
      await expect(over).rejects.toMatchObject({ code: 'budget_exceeded', exitCode: 3 });
      const rows = await sqlOn<{ spent: string }>(url, 'SELECT spent_tokens AS spent FROM budget');
      expect(rows).toEqual([{ spent: '400' }]);
      await expect(sqlOn(url, 'UPDATE budget SET spent_tokens = 1001')).rejects.toThrow(/budget_within_limit/);
    });

    it('creates a run once when two handles with an initial state race to create it', async () => {
      const url = await (await server()).createDatabase();
      const initial = runningState({ config: project.config, tasks: 3 });
      const handles = [0, 1].map(() => open({ url, run: 'r1', initial: () => structuredClone(initial) }));
      const seqs = await Promise.all(handles.map((handle) => handle.update((state) => state.seq)));
      // Each update sees the seq before its own: the second one found the first one's run, not a new one.
      expect(seqs.sort()).toEqual([initial.seq, initial.seq + 1]);
      expect(await sqlOn(url, 'SELECT count(*)::int AS n FROM tasks')).toEqual([{ n: 3 }]);
    });
  });

  describe('a server restart', () => {
    it('retries the updates it cuts: each lands exactly once, and watchers hear of changes after it', async () => {
      const postgres = await server();
      const { url, store: writer } = await runIn(0);
      const retries: PostgresRetry[] = [];
      const store = open({ url, run: 'r1', onRetry: (retry) => retries.push(retry) });
      const watcher = open({ url, run: 'r1' });
      const baseSeq = (await watcher.read()).seq;
      let wakes = 0;
      watcher.watch(() => {
        wakes += 1;
      });
      await writer.close();

      let restarted = false;
      const restarting = postgres.restart().then(() => {
        restarted = true;
      });
      let done = 0;
      // Updates run back to back while the server goes down and comes up again, and a few after.
      for (let after = 0; after < 5; after += restarted ? 1 : 0) {
        await store.update((state, context) => {
          const agent = state.agents['dev-1'];
          if (agent !== undefined) agent.calls += 1;
          context.emit({
            type: 'model-call',
            agentId: 'dev-1',
            taskId: null,
            purpose: 'restart',
            provider: 'sim',
            model: 'sim',
            usage: emptyUsage(),
            costUsd: 0,
            latencyMs: 0,
            simulated: true,
            repair: false,
          });
        });
        done += 1;
      }
      await restarting;
      expect(retries.length).toBeGreaterThan(0);
      const state = await open({ url, run: 'r1' }).read();
      expect(state.agents['dev-1']?.calls).toBe(done);
      expect(state.seq).toBe(baseSeq + done);
      const ledger = await store.readLedger(baseSeq);
      expect(ledger.map((entry) => entry.seq)).toEqual(Array.from({ length: done }, (_, index) => baseSeq + index + 1));

      // The watcher's LISTEN connection was cut too; it connects again and hears the next change.
      const wakesBefore = wakes;
      const heard = new Promise<void>((resolve) => {
        const stop = watcher.watch(() => {
          stop();
          resolve();
        });
      });
      await store.update(() => undefined);
      await hangGuard(heard, HANG_GUARD_MS, 'watch() after a server restart');
      expect(wakes).toBeGreaterThan(wakesBefore);
    }, 120_000);
  });

  it('applies an update once when the connection is lost after its COMMIT went through', async () => {
    const postgres = await server();
    const { url, store: writer } = await runIn(0);
    const baseSeq = (await writer.read()).seq;
    await writer.close();
    // A proxy on a socket of its own that lets the COMMIT reach the server and cuts the connection before its answer.
    const proxyDir = await mkdtemp(join(tmpdir(), 'agent-team-pg-proxy-'));
    let armed = true;
    let cut = 0;
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = createConnection(join(postgres.directory, '.s.PGSQL.5432'));
      sockets.add(client).add(upstream);
      let commitSent = false;
      client.on('data', (chunk: Buffer) => {
        if (armed && chunk.includes('COMMIT\0')) commitSent = true;
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (commitSent && armed) {
          armed = false;
          cut += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(chunk);
      });
      for (const socket of [client, upstream]) {
        socket.on('error', () => undefined);
        socket.on('close', () => {
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => proxy.listen(join(proxyDir, '.s.PGSQL.5432'), resolve));
    try {
      const proxied = new URL(url);
      proxied.searchParams.set('host', proxyDir);
      const retries: PostgresRetry[] = [];
      const store = open({ url: proxied.toString(), run: 'r1', onRetry: (retry) => retries.push(retry) });
      let runs = 0;
      const value = await store.update((state) => {
        runs += 1;
        const agent = state.agents['dev-1'];
        if (agent !== undefined) agent.calls += 1;
        return 'committed';
      });
      expect(value).toBe('committed');
      expect(cut).toBe(1);
      expect(retries).toHaveLength(1);
      // The retry found the commit by its id instead of running the update a second time.
      expect(runs).toBe(1);
      const state = await open({ url, run: 'r1' }).read();
      expect(state.seq).toBe(baseSeq + 1);
      expect(state.agents['dev-1']?.calls).toBe(1);
      expect((await store.read()).seq).toBe(baseSeq + 1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
      await rm(proxyDir, { recursive: true, force: true });
    }
  });

  describe('passwords', () => {
    it('never shows the password of the URL in errors, down server or up', async () => {
      const empty = await mkdtemp(join(tmpdir(), 'agent-team-no-server-'));
      try {
        const down = `postgresql://postgres:${PASSWORD}@localhost:5432/nowhere?host=${encodeURIComponent(empty)}`;
        const store = open({ url: down, run: 'r1', retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
        const failure = await store.update(() => undefined).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(StorageError);
        expect(failure).toMatchObject({ exitCode: 4, code: 'storage_failed' });
        expect((failure as Error).message).toContain('postgresql://postgres:***@localhost:5432/nowhere');
        expect((failure as Error).message).toMatch(/Tried 3 times/);
        // The server was never reached: the run may not exist, so the way on is not only --resume.
        expect((failure as Error).message).toMatch(
          /then run the command again \(a run that had started continues with `agent-team run --resume`\)\.$/,
        );
        // Later updates get the same failure without touching the database, as the file store does.
        await expect(store.update(() => undefined)).rejects.toBe(failure);
        const reading = await store.read().catch((error: unknown) => error);
        expect(reading).toBeInstanceOf(StorageError);

        const up = withPassword(await (await server()).createDatabase(), PASSWORD);
        const missing = await open({ url: up, run: 'absent' })
          .read()
          .catch((error: unknown) => error);
        expect(missing).toBeInstanceOf(StateMissingError);
        expect((missing as Error).message).toContain(':***@');

        const bad = (() => {
          try {
            new PostgresStore({ url: `mysql://root:${PASSWORD}@db/x`, run: 'r1' });
          } catch (error) {
            return error;
          }
        })();
        expect(bad).toMatchObject({ code: 'usage' });

        for (const error of [failure, reading, missing, bad]) {
          const shown = [String(error), (error as Error).stack, JSON.stringify(error), inspect(error, { depth: 10 })].join('\n');
          expect(shown).not.toContain(PASSWORD);
        }
      } finally {
        await rm(empty, { recursive: true, force: true });
      }
    });

    it('redacts the password of any URL form', () => {
      expect(redactPostgresUrl(`postgres://u:${PASSWORD}@db.example:5432/app`)).toBe('postgres://u:***@db.example:5432/app');
      expect(redactPostgresUrl(`postgresql://u@h/app?password=${PASSWORD}&host=%2Fsock`)).toBe('postgresql://u@h/app?host=%2Fsock');
      expect(redactPostgresUrl(`postgres://u:${PASSWORD}@[broken`)).not.toContain(PASSWORD);
    });
  });
});
