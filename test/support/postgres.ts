/**
 * A real, throwaway PostgreSQL server for tests: a cluster made with initdb in a
 * temp directory, listening only on a unix socket in that directory (no TCP),
 * with fsync off, started and restarted with pg_ctl, removed on teardown.
 * As root, initdb refuses to run: the cluster then belongs to an unprivileged
 * user (`nobody`) and every server command runs as that user through runuser.
 * A machine without the server binaries fails the tests that need one, saying how
 * to install them: a skipped store test would pass for a store nobody ran.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll } from 'vitest';

const run = promisify(execFile);

// The socket lives in the cluster's own directory, so every cluster can use the default port.
const PORT = 5432;
// The user that owns the cluster when the tests run as root.
const SERVER_USER = 'nobody';
// Bounds for a broken server only; a healthy one starts in a second or two.
const START_TIMEOUT_SECONDS = 60;

/** Where the PostgreSQL server programs were found. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly pgCtl: string;
}

/**
 * Finds initdb and pg_ctl (pg_ctl starts the `postgres` next to it): first on PATH,
 * then under /usr/lib/postgresql/<version>/bin (Debian's layout), newest version first.
 * Throws an error saying how to install them when there are none.
 */
export function findPostgresBinaries(input: { path?: string; debianRoot?: string } = {}): PostgresBinaries {
  const path = input.path ?? process.env.PATH ?? '';
  const debianRoot = input.debianRoot ?? '/usr/lib/postgresql';
  const candidates = path.split(delimiter).filter((entry) => entry !== '');
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    candidates.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  }
  for (const directory of candidates) {
    const initdb = join(directory, 'initdb');
    const pgCtl = join(directory, 'pg_ctl');
    if (existsSync(initdb) && existsSync(pgCtl) && existsSync(join(directory, 'postgres'))) return { initdb, pgCtl };
  }
  throw new Error(
    `PostgreSQL server programs (initdb, pg_ctl, postgres) were not found on PATH nor under ${debianRoot}/<version>/bin. ` +
      'The PostgreSQL store tests need a real server: install it with `apt-get install postgresql` ' +
      '(Debian/Ubuntu; .ci/run does this), or put the bin directory of a PostgreSQL 13+ installation on PATH.',
  );
}

/** A running throwaway cluster. */
export interface PostgresServer {
  /** The directory holding the data, the log and the server's socket. */
  readonly directory: string;
  /** A connection URL for `database` (default `postgres`) over the cluster's unix socket. */
  url(database?: string): string;
  /** Creates a fresh, empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** `pg_ctl restart`: every open connection is cut; the data stays. */
  restart(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** The uid and gid of `user`. */
async function idsOf(user: string): Promise<{ uid: number; gid: number }> {
  const uid = Number.parseInt((await run('id', ['-u', user])).stdout, 10);
  const gid = Number.parseInt((await run('id', ['-g', user])).stdout, 10);
  return { uid, gid };
}

/** What a test may add to a cluster's settings. */
export interface PostgresOptions {
  /** Lines of postgresql.conf after the defaults, e.g. "shared_preload_libraries = 'pg_stat_statements'". */
  readonly settings?: readonly string[];
}

/** Starts a new cluster in a temp directory and returns it once it accepts connections. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const binaries = findPostgresBinaries();
  const asRoot = process.getuid?.() === 0;
  const directory = await mkdtemp(join(tmpdir(), 'agent-team-pg-'));
  const data = join(directory, 'data');
  const logFile = join(directory, 'server.log');
  // As root the server programs run as SERVER_USER, which must own the directory and be able to reach it.
  const serverCommand = async (program: string, args: string[]): Promise<void> => {
    const [file, argv] = asRoot ? ['runuser', ['-u', SERVER_USER, '--', program, ...args]] : [program, args];
    try {
      await run(file, argv, { env: { ...process.env, LC_ALL: 'C' } });
    } catch (error) {
      const log = existsSync(logFile) ? await readFile(logFile, 'utf8') : '';
      const output = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `${program} ${args.join(' ')} failed${asRoot ? ` (as ${SERVER_USER})` : ''}: ${output.stderr || output.stdout || output.message}\n` +
          `server log ${logFile}:\n${log.slice(-4000)}`,
        { cause: error },
      );
    }
  };
  try {
    if (asRoot) {
      const { uid, gid } = await idsOf(SERVER_USER);
      await chown(directory, uid, gid);
      await chmod(directory, 0o700);
    }
    await serverCommand(binaries.initdb, ['-D', data, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C', '--no-sync']);
    // Written into the cluster's own config so that `pg_ctl restart` keeps them.
    const settings = [
      "listen_addresses = ''",
      `unix_socket_directories = '${directory}'`,
      `port = ${PORT}`,
      // A test cluster is thrown away: durability only costs time.
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 200',
      ...(options.settings ?? []),
    ];
    await appendFile(join(data, 'postgresql.conf'), `\n# agent-team test cluster\n${settings.join('\n')}\n`);
    const start = ['-D', data, '-l', logFile, '-w', '-t', String(START_TIMEOUT_SECONDS)];
    await serverCommand(binaries.pgCtl, [...start, 'start']);
    const url = (database = 'postgres'): string =>
      `postgresql://postgres@localhost:${PORT}/${database}?host=${encodeURIComponent(directory)}`;
    let stopped = false;
    // A test process that ends without its teardown (a crash, a failed hook) still takes its server along.
    const stopOnExit = (): void => {
      const [file, argv] = asRoot ? ['runuser', ['-u', SERVER_USER, '--', binaries.pgCtl]] : [binaries.pgCtl, []];
      try {
        execFileSync(file, [...argv, '-D', data, '-m', 'immediate', 'stop'], { stdio: 'ignore' });
      } catch {
        // already stopped
      }
      rmSync(directory, { recursive: true, force: true });
    };
    process.once('exit', stopOnExit);
    return {
      directory,
      url,
      createDatabase: async () => {
        const name = `test_${randomBytes(6).toString('hex')}`;
        const client = new pg.Client({ connectionString: url() });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${name}`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      restart: () => serverCommand(binaries.pgCtl, [...start, '-m', 'fast', 'restart']),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        process.off('exit', stopOnExit);
        try {
          await serverCommand(binaries.pgCtl, ['-D', data, '-w', '-m', 'immediate', 'stop']);
        } finally {
          await rm(directory, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/**
 * One cluster for the calling test file, started on first use and stopped after
 * the file's tests: call at the top level of a test file, then `await server()`.
 */
export function postgresForFile(options: PostgresOptions = {}): () => Promise<PostgresServer> {
  let started: Promise<PostgresServer> | undefined;
  afterAll(async () => {
    if (started === undefined) return;
    const server = await started.catch(() => undefined);
    await server?.stop();
  });
  return () => {
    started ??= startPostgres(options);
    return started;
  };
}
