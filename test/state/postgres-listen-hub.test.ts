/**
 * One listening session per database in a process: the stores of many runs (a service running many teams) share
 * it, each hears only its own run's commits, all hear again after a server restart, and the session ends with the
 * last watch.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresStore, type TeamState } from '../../src/state/index.js';
import { postgresForFile } from '../support/postgres.js';
import { createTeamProject, runningState } from './conformance/team-setup.js';

const server = postgresForFile();

/** The sessions of this process whose last statement was a LISTEN or UNLISTEN (a listening connection's only ones). */
async function listeningSessions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND query ~ '^(UN)?LISTEN '",
      [`agent-team pid ${process.pid}`],
    );
    return Number(result.rows[0]?.n);
  } finally {
    await client.end();
  }
}

/** Resolves once `heard` holds `count` entries (the watches push into it). */
async function until(heard: () => number, count: number): Promise<void> {
  while (heard() < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the LISTEN connection of a process', () => {
  it('is one for the stores of many runs in one database, wakes each only for its own run, survives a restart and ends with the last watch', async () => {
    const postgres = await server();
    const url = await postgres.createDatabase();
    const project = await createTeamProject({ developers: ['dev-1'] });
    const runs = ['team-a', 'team-b', 'team-c'];
    const stores = runs.map(
      (run) => new PostgresStore({ url, run, initial: () => structuredClone(runningState({ config: project.config, tasks: 1 })) }),
    );
    const heard = runs.map(() => 0);
    try {
      for (const store of stores) await store.update(() => undefined);
      const stops = stores.flatMap((store, index) => [
        store.watch(() => (heard[index] = (heard[index] ?? 0) + 1), 'work'),
        store.watch(() => undefined, 'all'),
      ]);
      // Another process's commit on team-b: only team-b's watch hears it.
      const other = new PostgresStore({ url, run: 'team-b' });
      const change = (state: TeamState): void => {
        state.run.feature = `${state.run.feature}.`;
      };
      await expect.poll(() => listeningSessions(url), { timeout: 30_000 }).toBe(1);
      await other.update(change);
      await until(() => heard[1] ?? 0, 1);
      expect(heard).toEqual([0, 1, 0]);
      // The server restarts: the connection is made again and every run's channel listened to again.
      await postgres.restart();
      await expect.poll(() => listeningSessions(url), { timeout: 30_000 }).toBe(1);
      const before = [...heard];
      const third = new PostgresStore({ url, run: 'team-c' });
      await other.update(change);
      await third.update(change);
      await until(() => (heard[1] ?? 0) - (before[1] ?? 0) + (heard[2] ?? 0) - (before[2] ?? 0), 2);
      expect(heard[0]).toBe(before[0]);
      await Promise.all([other.close(), third.close()]);
      for (const stop of stops) stop();
      for (const store of stores) await store.close();
      await expect.poll(() => listeningSessions(url), { timeout: 30_000 }).toBe(0);
    } finally {
      for (const store of stores) await store.close();
      await project.remove();
    }
  }, 60_000);
});
