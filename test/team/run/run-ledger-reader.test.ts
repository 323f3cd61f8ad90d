/**
 * RunLedgerReader returns what readRunLedger returns, on both stores, as a run's ledger grows, when a
 * new run starts over it, and (PostgreSQL) when the run is deleted and created again under the same
 * key; and it keeps no more entries than its bound, reading a forgotten ledger whole again. On
 * PostgreSQL its reads share the connection of the store kept with the ledger, until close().
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig, type TeamConfig } from '../../../src/config/index.js';
import { type LedgerEvent, PostgresStore, type TeamState } from '../../../src/state/index.js';
import { openTeamStore, RunLedgerReader, readRunLedger } from '../../../src/team/index.js';
import { currentRunAfter } from '../../../src/team/run/team-ledger.js';
import { initialTeamState } from '../../../src/team/run/run-state.js';
import { postgresForFile } from '../../support/postgres.js';
import { testRunOptions } from '../../support/running-state.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';

const server = postgresForFile();
let project: TempProject;
beforeAll(async () => {
  project = await tempProject('agent-team-ledger-reader-');
});
afterAll(async () => {
  await project.cleanup();
});

function freshState(config: TeamConfig, runId: string): TeamState {
  return initialTeamState({
    config,
    runId,
    feature: 'Read the ledger as it grows',
    options: testRunOptions({ config, runId }),
    simulated: true,
    budgetUsd: null,
    now: new Date().toISOString(),
  });
}

/** Commits `count` updates of one event each (a run-start first when `runId` is given). */
async function commit(config: TeamConfig, input: { count: number; runId?: string }): Promise<void> {
  const runId = input.runId ?? 'r1';
  const store = openTeamStore(config, () => freshState(config, runId));
  try {
    if (input.runId !== undefined) {
      await store.update((_state, context) =>
        context.emit({ type: 'run-start', runId, feature: 'f', provider: 'sim', seed: 1, simulated: true } as LedgerEvent),
      );
    }
    for (let index = 0; index < input.count; index += 1) {
      await store.update((_state, context) => {
        context.emit({ type: 'task-ready', taskId: `T${index}` });
        if (index % 3 === 0) context.emit({ type: 'task-ready', taskId: `T${index}b` });
      });
    }
  } finally {
    await store.close();
  }
}

describe.each(['file', 'postgres'] as const)('RunLedgerReader on the %s store', (kind) => {
  it('returns what a whole read returns as the ledger grows and when a new run starts over it', async () => {
    const url = kind === 'postgres' ? `${await (await server()).createDatabase()}&team=grow` : undefined;
    const config = loadTeamConfig({ cwd: project.dir, ...(url === undefined ? {} : { store: url, storeFrom: '--store' as const }) });
    const reader = new RunLedgerReader();
    expect(await reader.read(config)).toEqual(await readRunLedger(config));
    await commit(config, { count: 5, runId: 'r1' });
    const first = await reader.read(config);
    expect(first).toEqual(await readRunLedger(config));
    expect(first.length).toBe(8);
    await commit(config, { count: 4 });
    expect(await reader.read(config)).toEqual(await readRunLedger(config));
    // A new run: the file starts over; the database keeps the earlier run's rows, read from the new run-start.
    if (kind === 'file') {
      const { resetLedger } = await import('../../../src/state/index.js');
      await resetLedger(config.ledgerFile);
    }
    await commit(config, { count: 2, runId: 'r2' });
    const second = await reader.read(config);
    expect(second).toEqual(await readRunLedger(config));
    expect(second[0]).toMatchObject({ type: 'run-start', runId: 'r2' });
    expect(second.length).toBe(4);

    if (url !== undefined) {
      // The run deleted and created again under the same key, to the same seq: the reader must not keep the old entries.
      const client = new pg.Client({ connectionString: url.replace(/&team=grow$/, '') });
      await client.connect();
      await client.query('DELETE FROM runs');
      await client.end();
      await commit(config, { count: 11, runId: 'r3' });
      const third = await reader.read(config);
      expect(third).toEqual(await readRunLedger(config));
      expect(third[0]).toMatchObject({ type: 'run-start', runId: 'r3' });
    }
  });
});

describe('RunLedgerReader open stores', () => {
  it('keeps the connections of the ledgers read last only, and reads a ledger whose store it closed again', async () => {
    const url = await (await server()).createDatabase();
    const database = new URL(url).pathname.slice(1);
    const teams = ['t1', 't2', 't3', 't4', 't5'].map((team) =>
      loadTeamConfig({ cwd: project.dir, store: `${url}&team=${team}`, storeFrom: '--store' }),
    );
    for (const [index, config] of teams.entries()) await commit(config, { count: 2, runId: `r${index}` });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const open = async (): Promise<number> => {
      await client.query('SELECT pg_stat_clear_snapshot()');
      const result = await client.query<{ numbackends: number }>('SELECT numbackends FROM pg_stat_database WHERE datname = $1', [database]);
      return (result.rows[0]?.numbackends ?? 1) - 1;
    };
    const reader = new RunLedgerReader({ maxOpenStores: 2 });
    try {
      // A pass over every team, as the service's totals make: the stores of the two read last stay open, no more.
      for (const config of teams) await reader.read(config);
      expect(reader.openStores).toBe(2);
      await waitUntilOpen(open, 2);
      // The first team's store was closed; its ledger is read again (what changed since) through a new one.
      await commit(teams[0] as TeamConfig, { count: 1 });
      expect(await reader.read(teams[0] as TeamConfig)).toEqual(await readRunLedger(teams[0] as TeamConfig));
      expect(reader.openStores).toBe(2);
      await reader.close();
      expect(reader.openStores).toBe(0);
      await waitUntilOpen(open, 0);
    } finally {
      await client.end();
    }
  });
});

/** Waits until at most `most` sessions are open: a closed store's connection ends a moment after its close() was asked for. */
async function waitUntilOpen(open: () => Promise<number>, most: number): Promise<void> {
  for (;;) {
    if ((await open()) <= most) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('the current run of a database ledger', () => {
  it("is found by the server from the last run-start, so the team's earlier runs are not read", async () => {
    const url = await (await server()).createDatabase();
    const config = loadTeamConfig({ cwd: project.dir, store: `${url}&team=history`, storeFrom: '--store' });
    await commit(config, { count: 5, runId: 'old' });
    await commit(config, { count: 3, runId: 'new' });
    const store = new PostgresStore({ url, run: 'history' });
    try {
      const all = await store.readLedger();
      const start = all.findLast((entry) => entry.type === 'run-start');
      expect(start).toMatchObject({ runId: 'new' });
      expect(await store.lastLedgerSeq('run-start')).toBe(start?.seq);
      expect(await store.lastLedgerSeq()).toBe(all.at(-1)?.seq);
      expect(await store.lastLedgerSeq('blocker-raise')).toBeUndefined();
      expect(await currentRunAfter(store)).toBe((start?.seq ?? 0) - 1);
      // What every reader returns: the new run's entries only, read from its start.
      const current = await readRunLedger(config);
      expect(current).toEqual(all.slice(all.indexOf(start as (typeof all)[number])));
      expect(await new RunLedgerReader().read(config)).toEqual(current);
    } finally {
      await store.close();
    }
    // A team with no ledger at all: nothing to start from.
    const empty = new PostgresStore({ url, run: 'nobody' });
    try {
      expect(await empty.lastLedgerSeq()).toBeUndefined();
      expect(await currentRunAfter(empty)).toBe(0);
    } finally {
      await empty.close();
    }
  });
});

describe('RunLedgerReader bounds', () => {
  it('forgets the least recently read ledger past its bound and reads it whole again', async () => {
    const url = await (await server()).createDatabase();
    const one = loadTeamConfig({ cwd: project.dir, store: `${url}&team=one`, storeFrom: '--store' });
    const two = loadTeamConfig({ cwd: project.dir, store: `${url}&team=two`, storeFrom: '--store' });
    await commit(one, { count: 6, runId: 'a' });
    await commit(two, { count: 6, runId: 'b' });
    const reader = new RunLedgerReader({ maxEntries: 12 });
    expect((await reader.read(one)).length).toBe(9);
    expect((await reader.read(two)).length).toBe(9);
    // Only the ledger read last is kept: the other went past the bound.
    expect(reader.keptEntries).toBe(9);
    await commit(one, { count: 3 });
    expect(await reader.read(one)).toEqual(await readRunLedger(one));
    expect(await reader.read(two)).toEqual(await readRunLedger(two));
  });
});

describe('RunLedgerReader connections', () => {
  it('reads a database ledger again through the connection it kept, and lets it go on close()', async () => {
    const url = await (await server()).createDatabase();
    const config = loadTeamConfig({ cwd: project.dir, store: `${url}&team=kept`, storeFrom: '--store' });
    const database = new URL(url).pathname.slice(1);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    // Sessions ever opened on the database, and those open now, besides this client's.
    const sessions = async (): Promise<{ opened: number; open: number }> => {
      const result = await client.query<{ sessions: string; numbackends: number }>(
        'SELECT sessions, numbackends FROM pg_stat_database WHERE datname = $1',
        [database],
      );
      const row = result.rows[0] as { sessions: string; numbackends: number };
      return { opened: Number(row.sessions), open: row.numbackends - 1 };
    };
    try {
      await commit(config, { count: 2, runId: 'k' });
      const reader = new RunLedgerReader();
      await reader.read(config);
      await client.query('SELECT pg_stat_clear_snapshot()');
      const before = await sessions();
      for (let index = 0; index < 5; index += 1) {
        await commit(config, { count: 1 });
        await client.query('SELECT pg_stat_clear_snapshot()');
        const afterCommit = await sessions();
        const read = await reader.read(config);
        await client.query('SELECT pg_stat_clear_snapshot()');
        // The read opened no session: the reader's connection served it.
        expect((await sessions()).opened - afterCommit.opened, `read ${index + 1}`).toBe(0);
        expect(read).toEqual(await readRunLedger(config));
      }
      expect((await sessions()).opened).toBeGreaterThan(before.opened);
      await reader.close();
      // Its connection ends a moment after close(): none stays open.
      await waitUntilOpen(async () => {
        await client.query('SELECT pg_stat_clear_snapshot()');
        return (await sessions()).open;
      }, 0);
      // Read again after close(): a new store, the same entries.
      expect(await reader.read(config)).toEqual(await readRunLedger(config));
      await reader.close();
    } finally {
      await client.end();
    }
  });
});
