/**
 * `agent-team run` on a state directory that fills up, turns read-only or finds a
 * directory where the state file was: the run ends with exit 4 and a message naming
 * the file, what failed and the fix, no stack trace; the state and its backup stay
 * whole, and `--resume` finishes the run once the disk is fixed. Real tmpfs mounts;
 * real processes where the exit itself is under test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { teamStateSchema, type TeamState } from '../../src/state/index.js';
import { runCommand, startCommand } from '../support/cli-in-process.js';
import { type CliResult, ensureBuilt, startCli } from '../support/cli.js';
import { readEntries } from '../support/ledger.js';
import { waitUntil } from '../support/processes.js';
import { mountSmallDisk, type SmallDisk } from '../support/small-disk.js';
import { DEFAULT_ROSTER } from '../support/team-fixture.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

const FEATURE = 'Add user authentication with email and password';
// Slow enough (about 0.1-1 s per call) for the fault to land mid-run.
const RUN = ['run', '--feature', FEATURE, '--seed', '2', '--time-scale', '0.06'];
const RESUME = ['run', '--resume', '--time-scale', '0', '--json'];
// Only a bound for a broken case, just under the test timeout.
const SAFETY_MS = 150_000;

let project: TempProject;
let disk: SmallDisk;
let stateFile: string;
let ledgerFile: string;

beforeAll(() => ensureBuilt());

beforeEach(async () => {
  project = await tempProject();
  // Beats every 2 s, a lock abandoned for 2 s is taken over: the run notices the fault, and a resume its lock, soon.
  const coordination = { heartbeat_seconds: 2, check_interval_seconds: 1, lock_stale_ms: 2000 };
  await project.write('orchestrator-config.json', `${JSON.stringify({ agents: DEFAULT_ROSTER, coordination }, null, 2)}\n`);
  disk = await mountSmallDisk(project.path('.ai-agents', 'state'), 4 * 1024 * 1024);
  stateFile = project.path('.ai-agents', 'state', 'team-communication.json');
  ledgerFile = project.path('.ai-agents', 'state', 'run_ledger.jsonl');
});

afterEach(async () => {
  disk.unmount();
  await project.cleanup();
});

function readState(file: string): TeamState {
  return teamStateSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Resolves once an agent has claimed a task: the run is working. */
function runWorking(): Promise<void> {
  const claimed = (): boolean => existsSync(ledgerFile) && readFileSync(ledgerFile, 'utf8').includes('"type":"task-claim"');
  return waitUntil(claimed, 'an agent claims a task', SAFETY_MS);
}

/** Exit 4, the storage message naming `file` and `problem`, and nothing of an internal error. */
function expectStorageFailure(result: CliResult, input: { file: RegExp; problem: string }): void {
  expect(result.code, result.stderr).toBe(4);
  const message = /^error: (?:Agent process \S+ stopped: )?(Could not [^\n]*)\n([^\n]*)$/m.exec(result.stderr);
  expect(message, result.stderr).not.toBeNull();
  const [, what = '', fix = ''] = message ?? [];
  expect(what).toMatch(input.file);
  expect(what).toContain(`: ${input.problem} (`);
  expect(fix).toContain('then continue with `agent-team run --resume`');
  expect(result.stderr).not.toContain('internal error');
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

/**
 * What a stopped run leaves: a state and a backup that parse, the run not ended. (A file system turned read-only
 * mid-write may keep a writer's temp file; the next store to commit removes it, see expectResumeFinishes.)
 */
async function expectResumableState(): Promise<void> {
  const state = readState(stateFile);
  expect(['done', 'failed']).not.toContain(state.run.status);
  expect(state.tasks.some((task) => task.status !== 'done')).toBe(true);
  readState(`${stateFile}.bak`);
}

/** `run --resume` on the fixed disk finishes the run, and the ledger reads back whole. */
async function expectResumeFinishes(): Promise<void> {
  const resumed = await runCommand(RESUME, { cwd: project.dir });
  expect(resumed.code, resumed.stderr).toBe(0);
  expect((await readdir(disk.dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  const final = readState(stateFile);
  expect(final.run.status).toBe('done');
  expect(final.tasks.every((task) => task.status === 'done')).toBe(true);
  const ledger = await readEntries(ledgerFile);
  expect(ledger.some((entry) => entry.type === 'run-resume')).toBe(true);
}

const STATE_OR_LEDGER = /\/\.ai-agents\/state\/(team-communication\.json|run_ledger\.jsonl)/;

describe.each([
  { mode: 'in-process agents', extra: [] as string[] },
  { mode: 'agent processes', extra: ['--processes'] },
])('a state directory that fills up mid-run ($mode)', ({ extra }) => {
  it('ends the run with exit 4 naming the file, and --resume finishes it once space is freed', async () => {
    const running = startCli([...RUN, ...extra], { cwd: project.dir });
    await runWorking();
    await disk.fill();

    const result = await running.done;
    expectStorageFailure(result, { file: STATE_OR_LEDGER, problem: 'no space left on device' });
    await expectResumableState();

    await disk.free();
    await expectResumeFinishes();
  });
});

describe.each([
  { mode: 'in-process agents', start: () => startCommand(RUN, { cwd: project.dir }) },
  { mode: 'agent processes', start: () => startCli([...RUN, '--processes'], { cwd: project.dir }) },
])('a state directory that turns read-only mid-run ($mode)', ({ start }) => {
  it('ends the run with exit 4 naming the file, and --resume finishes it once it is writable', async () => {
    const running = start();
    await runWorking();
    disk.makeReadOnly();

    const result = await running.done;
    expectStorageFailure(result, { file: STATE_OR_LEDGER, problem: 'read-only file system' });
    await expectResumableState();

    disk.makeWritable();
    await expectResumeFinishes();
  });
});

describe('a state directory read-only from the start', () => {
  it('refuses a new run with exit 4, naming the state file it cannot lock, without a stack trace', async () => {
    disk.makeReadOnly();
    const result = await runCommand(RUN, { cwd: project.dir });
    expect(result.code, result.stderr).toBe(4);
    // Taking the project's state for the new run is the first write.
    expect(result.stderr).toContain(`error: Could not lock the state file ${stateFile}: read-only file system (EROFS`);
    expect(result.stderr).toContain('no run was started');
    expect(result.stderr).toContain(`Make ${disk.dir} writable (remount its file system read-write), then start the run again.`);
    expect(result.stderr).not.toContain('internal error');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(stateFile)).toBe(false);
  });
});

describe('a directory in place of the state file', () => {
  it('fails run and status with exit 4 naming it; once removed and the backup restored, status reads the run', async () => {
    const first = await runCommand([...RUN.slice(0, -1), '0'], { cwd: project.dir });
    expect(first.code, first.stderr).toBe(0);
    await rm(stateFile);
    await mkdir(stateFile);
    await writeFile(`${stateFile}/left-here`, 'not a state file');

    for (const args of [RUN, ['status']]) {
      const result = await runCommand(args, { cwd: project.dir });
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toContain(`error: Could not read the state file ${stateFile}: is a directory (EISDIR`);
      expect(result.stderr).toContain(`kept as ${stateFile}.bak`);
      expect(result.stderr).toContain(`Remove the directory ${stateFile} (or move it away)`);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }

    await rm(stateFile, { recursive: true });
    await copyFile(`${stateFile}.bak`, stateFile);
    const status = await runCommand(['status'], { cwd: project.dir });
    expect(status.code, status.stderr).toBe(0);
  });
});
