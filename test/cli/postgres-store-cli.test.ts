/**
 * The CLI on a PostgreSQL store: `run`, `status`, `ledger` and `export` with `--store` (or
 * AGENT_TEAM_STORE), agent processes that open the same run, the run's record written from the
 * database at its end, and a password that never shows in any output or file.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/state/index.js';
import { smallTeamConfig } from '../support/small-team-config.js';
import { ensureBuilt, runCli, startCli } from '../support/cli.js';
import { runCommand } from '../support/cli-in-process.js';
import { postgresForFile } from '../support/postgres.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();
const server = postgresForFile();
const PASSWORD = 'pg-secret-41f3';

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('the CLI on a PostgreSQL store', () => {
  let project: TempProject;
  // With a password (the test cluster trusts local connections, so any password is accepted): it must never show.
  let store: string;
  let plainUrl: string;
  const outputs: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    project = await tempProject('agent-team-pg-cli-');
    plainUrl = await (await server()).createDatabase();
    store = `${plainUrl.replace('postgresql://postgres@', `postgresql://postgres:${PASSWORD}@`)}&team=cli`;
  });

  afterAll(async () => {
    await project?.cleanup();
  });

  it('runs a team whose state lives in the database, and leaves the record people read', async () => {
    const run = await runCommand(['run', '--feature', 'Add a shopping cart', '--time-scale', '0', '--store', store, '--json'], {
      cwd: project.dir,
    });
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { runId: string; status: string; files: { state: string; ledger: string } };
    expect(result.status).toBe('done');
    // Nothing of the live state went to the project's state file.
    expect(existsSync(project.path('.ai-agents/state/team-communication.json'))).toBe(false);

    const database = new PostgresStore({ url: plainUrl, run: 'cli' });
    try {
      const state = await database.read();
      expect(state.run.id).toBe(result.runId);
      expect(JSON.parse(await readFile(result.files.state, 'utf8'))).toEqual(JSON.parse(JSON.stringify(state)));
      const lines = (await readFile(result.files.ledger, 'utf8')).trim().split('\n');
      const ledger = await database.readLedger();
      expect(lines.map((line) => JSON.parse(line))).toEqual(JSON.parse(JSON.stringify(ledger)));
      expect(ledger[0]).toMatchObject({ type: 'run-start', runId: result.runId });
    } finally {
      await database.close();
    }
  });

  it('shows the run through status, ledger and export, with --store or AGENT_TEAM_STORE', async () => {
    const status = await runCli(['status', '--json'], { cwd: project.dir, env: { AGENT_TEAM_STORE: store } });
    outputs.push(status.stdout, status.stderr);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ run: { status: 'done' } });

    const ledger = await runCommand(['ledger', '--json', '--store', store], { cwd: project.dir });
    outputs.push(ledger.stdout, ledger.stderr);
    expect(ledger.code, ledger.stderr).toBe(0);
    const events = ledger.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(events[0]?.type).toBe('run-start');
    expect(events).toContainEqual(expect.objectContaining({ type: 'run-end', status: 'done' }));

    const exported = await runCommand(['export', '--out', 'snapshot', '--store', store, '--json'], { cwd: project.dir });
    outputs.push(exported.stdout, exported.stderr);
    expect(exported.code, exported.stderr).toBe(0);
    const files = (JSON.parse(exported.stdout) as { files: Record<string, string> }).files;
    expect(files.dir).toBe(project.path('snapshot'));
    const snapshot = JSON.parse(await readFile(project.path('snapshot/team-communication.json'), 'utf8')) as { run: { status: string } };
    expect(snapshot.run.status).toBe('done');
    expect((await readFile(project.path('snapshot/run_ledger.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(events.length);
    expect(await readFile(project.path('snapshot/report.md'), 'utf8')).toContain('Add a shopping cart');
  });

  it('follows a run in the database with ledger --follow, from before it starts until it is done', async () => {
    const team = store.replace('team=cli', 'team=followed');
    // A process of its own, as a person would start it: in this process the run's lease would count as let go while it starts.
    const follow = startCli(['ledger', '--follow'], { cwd: project.dir, env: { AGENT_TEAM_STORE: team } });
    const run = await runCommand(['run', '--feature', 'Add a search box', '--time-scale', '0', '--store', team, '--json'], {
      cwd: project.dir,
    });
    expect(run.code, run.stderr).toBe(0);
    const followed = await follow.done;
    outputs.push(run.stdout, run.stderr, followed.stdout, followed.stderr);
    expect(followed.code, followed.stderr).toBe(0);
    const lines = followed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/run .* started/);
    expect(lines).toContainEqual(expect.stringMatching(/run done: all tasks done/));
  });

  it('runs role agents as processes that open the same run from the environment', async () => {
    const run = await runCli(['run', '--feature', 'Add a wishlist', '--time-scale', '0', '--processes', '--force', '--json'], {
      cwd: project.dir,
      env: { AGENT_TEAM_STORE: store },
    });
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { runId: string; status: string; files: { ledger: string } };
    expect(result.status).toBe('done');
    const ledger = (await readFile(result.files.ledger, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; pid?: number });
    // Every role agent ran in a process of its own, not in the run's.
    const starts = ledger.filter((event) => event.type === 'agent-start');
    expect(starts.length).toBe(4);
    expect(new Set(starts.map((event) => event.pid)).size).toBe(4);
    // The ledger of this run starts with its own run-start, not the earlier run's.
    expect(ledger[0]).toMatchObject({ type: 'run-start', runId: result.runId });
  });

  it('says to continue an interrupted run with the same --store, and the resume given it finishes the run', async () => {
    const capped = await tempProject('agent-team-pg-cli-capped-');
    try {
      await capped.write('orchestrator-config.json', smallTeamConfig({ maxIterations: 1 }));
      const cappedStore = store.replace('&team=cli', '&team=capped');
      const stopped = await runCommand(
        ['run', '--feature', 'Add a batch of small improvements', '--plan-tasks', '12', '--store', cappedStore],
        {
          cwd: capped.dir,
        },
      );
      outputs.push(stopped.stdout, stopped.stderr);
      expect(stopped.code, stopped.stderr).toBe(130);
      expect(stopped.stdout).toContain('Continue with: agent-team run --resume with the same --store (or AGENT_TEAM_STORE)');
      const status = await runCommand(['status', '--json', '--store', cappedStore], { cwd: capped.dir });
      outputs.push(status.stdout, status.stderr);
      expect(JSON.parse(status.stdout)).toMatchObject({
        run: {
          status: 'interrupted',
          endReason: expect.stringMatching(/continue with agent-team run --resume with the same --store \(or AGENT_TEAM_STORE\)$/),
        },
      });
      await capped.write('orchestrator-config.json', smallTeamConfig());
      const resumed = await runCommand(['run', '--resume', '--json', '--store', cappedStore], { cwd: capped.dir });
      outputs.push(resumed.stdout, resumed.stderr);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'done' });
      for (const file of await filesUnder(capped.dir)) expect(await readFile(file, 'utf8'), file).not.toContain(PASSWORD);
    } finally {
      await capped.cleanup();
    }
  });

  it('refuses a store value it cannot use with exit 2, naming the flag and the form, and never prints the password', async () => {
    const bad = await runCommand(['status', '--store', `mysql://root:${PASSWORD}@db/agents`], { cwd: project.dir });
    outputs.push(bad.stdout, bad.stderr);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--store is "mysql://": expected "file" (the default) or a PostgreSQL URL');

    const unreachable = await runCommand(['status', '--store', `postgres://user:${PASSWORD}@127.0.0.1:1/agents`], { cwd: project.dir });
    outputs.push(unreachable.stdout, unreachable.stderr);
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr).toContain('postgres://user:***@127.0.0.1:1/agents');

    for (const text of outputs) expect(text).not.toContain(PASSWORD);
    for (const file of await filesUnder(project.dir)) expect(await readFile(file, 'utf8'), file).not.toContain(PASSWORD);
  });
});
