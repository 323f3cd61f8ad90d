import { appendFile, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { teamStateSchema } from '../../src/state/index.js';
import { ROOT } from '../support/cli.js';
import { runCommand, startCommand } from '../support/cli-in-process.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

const STATE = '.ai-agents/state/team-communication.json';
const LEDGER = '.ai-agents/state/run_ledger.jsonl';
let project: TempProject;

afterEach(async () => {
  await project.cleanup();
});

/** A ledger line as FileStore writes it. */
function line(event: Record<string, unknown>, seq: number): string {
  return `${JSON.stringify({ ...event, seq, at: `2026-12-02T03:31:${String(seq).padStart(2, '0')}.000Z` })}\n`;
}

/** A project whose state is the interrupted fixture (its status set to `status`) and whose ledger ends with that run's run-end. */
async function interruptedRun(status: 'interrupted' | 'running'): Promise<{ runId: string }> {
  project = await tempProject('agent-team-ledger-follow-');
  const state = teamStateSchema.parse(JSON.parse(await readFile(join(ROOT, 'test/fixtures/state/v1-interrupted.json'), 'utf8')));
  const runId = state.run.id;
  await project.write(STATE, `${JSON.stringify({ ...state, run: { ...state.run, status } }, null, 2)}\n`);
  await project.write(
    LEDGER,
    line({ type: 'run-start', runId, feature: 'Add login', provider: 'sim', seed: 1, simulated: true }, 1) +
      line({ type: 'task-end', agentId: 'backend-dev', taskId: 'T1', status: 'done', detail: 'done' }, 2) +
      line({ type: 'run-end', runId, status: 'interrupted', reason: 'interrupted' }, 3),
  );
  return { runId };
}

describe('ledger with no run', () => {
  it('exits 4 with the message status gives', async () => {
    project = await tempProject('agent-team-ledger-none-');
    const [ledger, status] = await Promise.all([
      runCommand(['ledger'], { cwd: project.dir }),
      runCommand(['status'], { cwd: project.dir }),
    ]);
    expect(status.code).toBe(4);
    expect(ledger.code).toBe(4);
    expect(ledger.stderr).toBe(status.stderr);
    expect(ledger.stderr).toContain('does not exist. Start a run with `agent-team run --feature ...`');
    expect(ledger.stdout).toBe('');
  });
});

describe('ledger with a corrupt state', () => {
  it('still prints the ledger: it is what tells what went wrong', async () => {
    project = await tempProject('agent-team-ledger-corrupt-');
    await project.write(STATE, await readFile(join(ROOT, 'test/fixtures/state/broken-not-json.txt'), 'utf8'));
    await project.write(
      LEDGER,
      line({ type: 'run-start', runId: 'r1', feature: 'Add login', provider: 'sim', seed: 1, simulated: true }, 1),
    );
    const result = await runCommand(['ledger'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ run r1 started: Add login\n$/);
  });
});

describe('ledger --follow and a run whose owner died', () => {
  it('ends, saying so, when the run is live in the state but its owner process is gone (no run-end was written)', async () => {
    project = await tempProject('agent-team-ledger-abandoned-');
    const state = teamStateSchema.parse(JSON.parse(await readFile(join(ROOT, 'test/fixtures/state/v1-running.json'), 'utf8')));
    const owner = { lease: 'l1', host: hostname(), pid: 999_999_999, pidStart: null, command: 'run', since: state.run.createdAt };
    await project.write(
      STATE,
      `${JSON.stringify({ ...state, run: { ...state.run, owner: { ...owner, expiresAt: '2099-01-01T00:00:00.000Z' } } })}\n`,
    );
    await project.write(
      LEDGER,
      line({ type: 'run-start', runId: state.run.id, feature: 'Add login', provider: 'sim', seed: 1, simulated: true }, 1),
    );
    const follow = await runCommand(['ledger', '--follow'], { cwd: project.dir });
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout.trimEnd().split('\n').at(-1)).toBe(
      `run ${state.run.id} stopped without an ending: its owner pid 999999999 on ${hostname()} (agent-team run, since ${state.run.createdAt}) ` +
        'is gone: its process 999999999 is not running; continue with agent-team run --resume',
    );
  });
});

describe('ledger --follow and resumes', () => {
  it('ends on an interrupted run nobody resumes: the state still says interrupted once the ledger is quiet', async () => {
    await interruptedRun('interrupted');
    const follow = await runCommand(['ledger', '--follow'], { cwd: project.dir });
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout.trimEnd().split('\n').at(-1)).toMatch(/ run interrupted: interrupted$/);
  });

  it('goes on past a run-end interrupted when the state shows the run resumed, and ends on its run-end done', async () => {
    const { runId } = await interruptedRun('running');
    const follower = startCommand(['ledger', '--follow'], { cwd: project.dir });
    await follower.waitForOutput(/ run interrupted: interrupted\n/);
    await appendFile(
      project.path(LEDGER),
      line({ type: 'run-resume', runId, resumes: 1, released: [] }, 4) +
        line({ type: 'task-end', agentId: 'frontend-dev', taskId: 'T2', status: 'done', detail: 'done' }, 5),
    );
    await follower.waitForOutput(/ frontend-dev finished T2\n/);
    await appendFile(project.path(LEDGER), line({ type: 'run-end', runId, status: 'done', reason: 'all tasks done' }, 6));
    const follow = await follower.done;
    expect(follow.code, follow.stderr).toBe(0);
    const lines = follow.stdout.trimEnd().split('\n');
    expect(lines.map((text) => text.slice(9))).toEqual([
      `run ${runId} started: Add login`,
      'backend-dev finished T1',
      'run interrupted: interrupted',
      `run ${runId} resumed (0 task(s) back to ready)`,
      'frontend-dev finished T2',
      'run done: all tasks done',
    ]);
  });

  it('follows a real resume to its end, not to the earlier attempt’s run-end interrupted', async () => {
    project = await tempProject('agent-team-ledger-resume-');
    // Slow enough (about 0.1-1 s per call) to be interrupted mid-run.
    const first = startCommand(['run', '--feature', 'Add login', '--seed', '2', '--time-scale', '0.06'], { cwd: project.dir });
    await first.waitForOutput(/finished T1/);
    first.interrupt();
    expect((await first.done).code).toBe(130);

    const resumed = startCommand(['run', '--resume', '--time-scale', '0.02'], { cwd: project.dir });
    // By now the resume is in the ledger: the follower sees the whole story from the start.
    await resumed.waitForOutput(/Resuming run/);
    const follower = startCommand(['ledger', '--follow'], { cwd: project.dir });
    const [resume, follow] = await Promise.all([resumed.done, follower.done]);
    expect(resume.code, resume.stderr).toBe(0);
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout).toMatch(/ run interrupted: /);
    expect(follow.stdout).toMatch(/ run \S+ resumed /);
    expect(follow.stdout.trimEnd().split('\n').at(-1)).toMatch(/ run done: all tasks done$/);
    expect(follow.stdout).toBe((await runCommand(['ledger'], { cwd: project.dir })).stdout);
  });

  it('--help says when --follow ends', async () => {
    project = await tempProject('agent-team-ledger-help-');
    const help = await runCommand(['ledger', '--help'], { cwd: project.dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('When --follow ends:');
    expect(help.stdout).toContain('interrupted or budget_exceeded does not by itself');
  });
});
