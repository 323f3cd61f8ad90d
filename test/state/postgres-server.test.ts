import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { findPostgresBinaries, postgresForFile } from '../support/postgres.js';

const server = postgresForFile();

/** Connects a client to `url`; the caller ends it. */
async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('the throwaway PostgreSQL server of the tests', () => {
  it('starts a cluster that answers queries over its unix socket only, in fresh databases', async () => {
    const postgres = await server();
    expect(existsSync(join(postgres.directory, `.s.PGSQL.5432`))).toBe(true);
    const first = await postgres.createDatabase();
    const second = await postgres.createDatabase();
    expect(first).not.toBe(second);
    const client = await connect(first);
    try {
      const settings = await client.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'fsync') ORDER BY name",
      );
      expect(settings.rows).toEqual([
        { name: 'fsync', setting: 'off' },
        { name: 'listen_addresses', setting: '' },
      ]);
      await client.query('CREATE TABLE item (id int PRIMARY KEY, title text NOT NULL)');
      await client.query("INSERT INTO item VALUES (1, 'first')");
      expect((await client.query('SELECT title FROM item')).rows).toEqual([{ title: 'first' }]);
    } finally {
      await client.end();
    }
    // Databases are separate: the second one has no table of the first.
    const other = await connect(second);
    try {
      const tables = await other.query("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'item'");
      expect(tables.rows).toEqual([{ n: 0 }]);
    } finally {
      await other.end();
    }
  });

  it('restarts with pg_ctl: open connections are cut, new ones see the committed data', async () => {
    const postgres = await server();
    const url = await postgres.createDatabase();
    const before = await connect(url);
    const cut = new Promise<Error>((resolve) => before.on('error', resolve));
    await before.query('CREATE TABLE counter (n int NOT NULL)');
    await before.query('INSERT INTO counter VALUES (41)');

    await postgres.restart();

    // The server ended the old session; the driver reports it rather than hanging.
    expect((await cut).message).toMatch(/terminat|connection|shutdown/i);
    await expect(before.query('SELECT 1')).rejects.toThrow();
    await before.end().catch(() => undefined);
    const after = await connect(url);
    try {
      await after.query('UPDATE counter SET n = n + 1');
      expect((await after.query('SELECT n FROM counter')).rows).toEqual([{ n: 42 }]);
    } finally {
      await after.end();
    }
  });

  it('fails, saying how to install PostgreSQL, where no server programs are found', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'agent-team-no-pg-'));
    try {
      expect(() => findPostgresBinaries({ path: empty, debianRoot: join(empty, 'missing') })).toThrow(/apt-get install postgresql/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('finds Debian-style server programs under <root>/<version>/bin when PATH has none, newest version first', async () => {
    const root = await mkdtemp(join(tmpdir(), 'agent-team-debian-pg-'));
    try {
      for (const version of ['9.6', '15', '13']) {
        await mkdir(join(root, version, 'bin'), { recursive: true });
        for (const program of ['initdb', 'pg_ctl', 'postgres']) await writeFile(join(root, version, 'bin', program), '');
      }
      // A version without its server program does not count.
      await mkdir(join(root, '16', 'bin'), { recursive: true });
      await writeFile(join(root, '16', 'bin', 'initdb'), '');
      expect(findPostgresBinaries({ path: '', debianRoot: root })).toEqual({
        initdb: join(root, '15', 'bin', 'initdb'),
        pgCtl: join(root, '15', 'bin', 'pg_ctl'),
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
