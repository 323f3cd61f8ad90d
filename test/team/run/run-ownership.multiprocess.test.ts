import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { teamStateSchema, type TeamState } from '../../../src/state/index.js';
import { runCommand } from '../../support/cli-in-process.js';
import { BIN, ensureBuilt, ROOT, startCli } from '../../support/cli.js';
import { type Entry, readEntries } from '../../support/ledger.js';
import { isGone, waitUntil } from '../../support/processes.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { useProcessesTimeout } from '../../support/timeouts.js';

useProcessesTimeout();

const FEATURE = 'Add a shopping cart';
const STATE = '.ai-agents/state/team-communication.json';
const LEDGER = '.ai-agents/state/run_ledger.jsonl';
let project: TempProject;

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await project.cleanup();
});

async function readState(): Promise<TeamState> {
  return teamStateSchema.parse(JSON.parse(await readFile(project.path(STATE), 'utf8')));
}

/** Waits (polling the state file; the bound only catches a hang) until the state satisfies `condition`. */
async function stateWhen(condition: (state: TeamState) => boolean, what: string): Promise<TeamState> {
  let last: TeamState | undefined;
  let reading = false;
  await waitUntil(() => {
    if (!reading) {
      reading = true;
      void readState()
        .then((state) => {
          last = state;
        })
        .catch(() => undefined)
        .finally(() => {
          reading = false;
        });
    }
    return last !== undefined && condition(last);
  }, what);
  return last as TeamState;
}

/** Every task done exactly once, and never claimed after it was done. */
function expectEachTaskDoneOnce(ledger: readonly Entry[], state: TeamState): void {
  const done = ledger.filter((entry) => entry.type === 'task-end' && entry['status'] === 'done').map((entry) => entry['taskId']);
  expect(new Set(done).size).toBe(done.length);
  expect([...done].sort()).toEqual(state.tasks.map((task) => task.id).sort());
  for (const taskId of done) {
    const at = ledger.findIndex((entry) => entry.type === 'task-end' && entry['taskId'] === taskId);
    expect(ledger.slice(at).some((entry) => entry.type === 'task-claim' && entry['taskId'] === taskId)).toBe(false);
  }
}

describe('a live run has one owner', () => {
  it('refuses run --resume and run --force on it, naming its owner, and the live run ends with every task done once', async () => {
    project = await tempProject();
    const live = startCli(['run', '--feature', FEATURE, '--seed', '3', '--time-scale', '0.05'], { cwd: project.dir });
    await live.waitForOutput(/took T1/);

    const resume = await runCommand(['run', '--resume'], { cwd: project.dir });
    expect(resume.code).toBe(6);
    expect(resume.stderr).toContain(`pid ${live.pid}`);
    expect(resume.stderr).toContain('`run --resume` would run its tasks twice');
    const force = await runCommand(['run', '--force', '--feature', 'Something else'], { cwd: project.dir });
    expect(force.code).toBe(6);
    expect(force.stderr).toContain(`pid ${live.pid}`);
    const status = await runCommand(['status', '--json'], { cwd: project.dir });
    expect(JSON.parse(status.stdout).run).toMatchObject({ live: true, abandoned: null });

    const ended = await live.done;
    expect(ended.stderr).toBe('');
    expect(ended.code).toBe(0);
    const state = await readState();
    expect(state.run).toMatchObject({ status: 'done', owner: null, resumes: 0 });
    const ledger = await readEntries(project.path(LEDGER));
    expect(ledger.filter((entry) => entry.type === 'plan-create')).toHaveLength(1);
    expectEachTaskDoneOnce(ledger, state);
  });

  it('lets only one of two runs started at once go, and never rewrites the record of the run before them', async () => {
    project = await tempProject();
    const first = await runCommand(['run', '--feature', FEATURE, '--time-scale', '0', '--json'], { cwd: project.dir });
    expect(first.code).toBe(0);
    const record = (JSON.parse(first.stdout) as { files: { dir: string; summary: string; ledger: string; report: string } }).files;
    const archived = await Promise.all([record.summary, record.ledger, record.report].map((file) => readFile(file, 'utf8')));

    for (let round = 0; round < 2; round += 1) {
      const racers = [0, 1].map(() => startCli(['run', '--feature', `Race ${round}`, '--time-scale', '0'], { cwd: project.dir }));
      const results = await Promise.all(racers.map((racer) => racer.done));
      const codes = results.map((result) => result.code).sort();
      // Both may also run one after the other (the first ended before the second looked): then the second is refused as the
      // project's last run is done, never half-started. Two at once is never allowed.
      expect(codes[0]).toBe(0);
      if (codes[1] !== 0) {
        expect(codes[1]).toBe(6);
        expect(results.find((result) => result.code === 6)?.stderr).toMatch(/is live: it belongs to pid \d+/);
      }
      const state = await readState();
      expect(state.run.status).toBe('done');
      expectEachTaskDoneOnce(await readEntries(project.path(LEDGER)), state);
    }
    const after = await Promise.all([record.summary, record.ledger, record.report].map((file) => readFile(file, 'utf8')));
    expect(after).toEqual(archived);
  });
});

describe('every ending is recorded', () => {
  it.each(['SIGHUP', 'SIGTERM'] as const)('%s leaves the run interrupted with the reason, released and resumable', async (signal) => {
    project = await tempProject();
    const running = startCli(['run', '--feature', FEATURE, '--seed', '2', '--time-scale', '0.05'], { cwd: project.dir });
    await running.waitForOutput(/took T1/);
    running.kill(signal);
    const ended = await running.done;
    expect(ended.code).toBe(130);
    const state = await readState();
    expect(state.run.status).toBe('interrupted');
    expect(state.run.endReason).toContain(signal);
    expect(state.run.owner).toBeNull();
    expect(state.tasks.some((task) => task.status === 'in_progress')).toBe(false);
    expect(state.budget.reservations).toEqual({});

    const resumed = await runCommand(['run', '--resume', '--time-scale', '0'], { cwd: project.dir });
    expect(resumed.code).toBe(0);
    expect((await readState()).run.status).toBe('done');
  });

  it('a closed output (EPIPE, as with `| head`) stops the run cleanly: interrupted, exit 130, resumable', async () => {
    project = await tempProject();
    const child = spawn(process.execPath, [BIN, 'run', '--feature', FEATURE, '--seed', '2', '--time-scale', '0.05'], {
      cwd: project.dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Like `head -3`: read three lines, then close the pipe.
    await new Promise<void>((resolve) => {
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        if (text.split('\n').length > 3) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    expect(await exited).toBe(130);
    expect(stderr).not.toContain('internal error');
    const state = await readState();
    expect(state.run.status).toBe('interrupted');
    expect(state.run.endReason).toContain('output was closed');
    expect(state.run.owner).toBeNull();

    const resumed = await runCommand(['run', '--resume', '--time-scale', '0'], { cwd: project.dir });
    expect(resumed.code).toBe(0);
    expect((await readState()).run.status).toBe('done');
  });
});

describe('run --processes under a supervisor', () => {
  it('a killed coordinator leaves no agent behind; status says the owner is gone; --resume takes over and finishes', async () => {
    project = await tempProject();
    const running = startCli(['run', '--feature', FEATURE, '--seed', '4', '--time-scale', '0.05', '--processes'], { cwd: project.dir });
    await running.waitForOutput(/took T1/);
    // The ledger gets a change's events just before the state file gets the change: read the pids once the state has them.
    const started = await stateWhen((state) => Object.values(state.agents).some((agent) => agent.pid !== null), 'an agent has started');
    const agentPids = Object.values(started.agents)
      .map((agent) => agent.pid)
      .filter((pid): pid is number => pid !== null);
    running.kill('SIGKILL');
    await running.done;
    await waitUntil(() => agentPids.every(isGone), 'every agent process has stopped after its coordinator died', 170_000);

    const status = await runCommand(['status', '--json'], { cwd: project.dir });
    expect(JSON.parse(status.stdout).run.abandoned).toContain(`its process ${running.pid} is not running`);
    const fresh = await runCommand(['run', '--feature', 'Another feature'], { cwd: project.dir });
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toContain('is gone');

    const resumed = await runCommand(['run', '--resume', '--time-scale', '0'], { cwd: project.dir });
    expect(resumed.code).toBe(0);
    const state = await readState();
    expect(state.run).toMatchObject({ status: 'done', owner: null });
    const ledger = await readEntries(project.path(LEDGER));
    expect(ledger.find((entry) => entry.type === 'run-takeover')).toMatchObject({ reason: expect.stringContaining(String(running.pid)) });
    expectEachTaskDoneOnce(ledger, state);
    expect(state.budget.reservations).toEqual({});
  });

  it('restarts a killed agent and a stalled one, and the run ends done with every task once', async () => {
    project = await tempProject();
    const builtIn = JSON.parse(await readFile(join(ROOT, 'orchestrator-config.json'), 'utf8')) as { coordination?: object };
    await project.write(
      'orchestrator-config.json',
      // Restarts to spare: on a loaded machine a healthy agent can also miss three 1 s beats and be restarted.
      JSON.stringify({ ...builtIn, coordination: { ...builtIn.coordination, heartbeat_seconds: 1, agent_restarts: 20 } }),
    );
    const running = startCli(['run', '--feature', FEATURE, '--seed', '5', '--time-scale', '0.05', '--processes'], { cwd: project.dir });
    await running.waitForOutput(/took T1/);
    const first = await stateWhen(
      (state) => state.agents['backend-dev']?.pid != null && state.agents['frontend-dev']?.pid != null,
      'both developers have started',
    );
    const backend = first.agents['backend-dev']?.pid;
    const frontend = first.agents['frontend-dev']?.pid;
    expect(backend).toEqual(expect.any(Number));
    expect(frontend).toEqual(expect.any(Number));
    process.kill(backend as number, 'SIGKILL');
    // Stopped, it stays alive but silent: the supervisor must notice (3 missed beats) and kill it.
    process.kill(frontend as number, 'SIGSTOP');
    const ended = await running.done;
    expect(ended.code).toBe(0);
    expect(isGone(frontend as number)).toBe(true);

    const state = await readState();
    expect(state.run.status).toBe('done');
    const ledger = await readEntries(project.path(LEDGER));
    const restarts = ledger.filter((entry) => entry.type === 'agent-restart');
    expect(restarts.map((entry) => entry['agentId'])).toEqual(expect.arrayContaining(['backend-dev', 'frontend-dev']));
    expect(restarts.find((entry) => entry['agentId'] === 'backend-dev')?.['reason']).toContain('SIGKILL');
    expect(restarts.find((entry) => entry['agentId'] === 'frontend-dev')?.['reason']).toContain('silent');
    expectEachTaskDoneOnce(ledger, state);
    expect(state.budget.reservations).toEqual({});
    const spent = ledger.filter((entry) => entry.type === 'model-call').reduce((sum, entry) => sum + (entry['costUsd'] as number), 0);
    expect(state.budget.spentUsd).toBeCloseTo(spent, 9);
  });
});
