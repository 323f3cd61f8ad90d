import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { deadPid } from '../../support/processes.js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import type { RunOwner, TeamState } from '../../../src/state/index.js';
import { fenceStore, OwnershipLostError } from '../../../src/team/agents/fenced-store.js';
import { RunUnfinishedError } from '../../../src/team/run/take-run.js';
import { openTeamStore } from '../../../src/team/index.js';
import { claimTask } from '../../../src/team/tasks/claim-task.js';
import { applyWorkReport, claimIsCurrent, releaseTask } from '../../../src/team/tasks/report-result.js';
import { newTask } from '../../../src/team/tasks/task-factory.js';
import { holdLease, newRunOwner, ownerLiveness, RunOwnedError } from '../../../src/team/run/run-owner.js';
import { abandonedBecause } from '../../../src/team/run/take-run.js';
import { initialTeamState } from '../../../src/team/run/run-state.js';
import { testRunOptions, writeRunningState } from '../../support/running-state.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';

const NOW = new Date('2026-12-02T10:00:00.000Z');
let project: TempProject | undefined;

afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

function ownerOf(overrides: Partial<RunOwner>): RunOwner {
  return { ...newRunOwner({ command: 'run', now: NOW, leaseMs: 30_000 }), ...overrides };
}

describe('owner liveness', () => {
  it('is live while its process runs on this host and its lease holds', async () => {
    // Another process of this host: this test's child, alive until it is told to end.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 3_600_000)']);
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      expect(ownerLiveness(ownerOf({ pid: child.pid as number, pidStart: null }), NOW)).toEqual({ live: true });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('when the owner is this very process, is live exactly while the process holds the lease', () => {
    const owner = ownerOf({});
    expect(ownerLiveness(owner, NOW)).toEqual({ live: false, reason: 'this process let go of it' });
    const held = holdLease(owner.lease);
    expect(ownerLiveness(owner, NOW)).toEqual({ live: true });
    held.letGo();
    expect(ownerLiveness(owner, NOW)).toMatchObject({ live: false });
  });

  it('is gone at once when its process on this host is not running, whatever the lease says', async () => {
    const pid = await deadPid();
    expect(ownerLiveness(ownerOf({ pid }), NOW)).toEqual({ live: false, reason: `its process ${pid} is not running` });
  });

  it('is gone when its pid now belongs to another process (start time differs)', () => {
    const liveness = ownerLiveness(ownerOf({ pidStart: '1' }), NOW);
    expect(liveness).toMatchObject({ live: false, reason: expect.stringContaining('belongs to another process') });
  });

  it('is gone when its lease ran out, even with the process alive (a stalled owner); on another host only the lease counts', () => {
    const later = new Date(NOW.getTime() + 30_001);
    // A live process of this host that is not this one: the test's parent.
    const stalled = ownerOf({ pid: process.ppid, pidStart: null });
    expect(ownerLiveness(stalled, NOW)).toEqual({ live: true });
    expect(ownerLiveness(stalled, later)).toMatchObject({ live: false, reason: expect.stringContaining('lease ran out') });
    const elsewhere = ownerOf({ host: `not-${hostname()}`, pid: 999_999 });
    expect(ownerLiveness(elsewhere, NOW)).toEqual({ live: true });
    expect(ownerLiveness(elsewhere, later)).toMatchObject({ live: false });
  });

  it('calls a live-looking run abandoned when its owner is gone or missing, and an ended run never', async () => {
    project = await tempProject();
    const config = loadTeamConfig({ cwd: project.dir });
    const state: TeamState = initialTeamState({
      config,
      runId: 'r1',
      feature: 'f',
      options: testRunOptions({ config, runId: 'r1' }),
      simulated: true,
      budgetUsd: null,
      now: NOW.toISOString(),
      owner: ownerOf({ pid: await deadPid() }),
    });
    expect(abandonedBecause(state, NOW)).toContain('is not running');
    state.run.owner = null;
    expect(abandonedBecause(state, NOW)).toBe('no process owns it');
    state.run.status = 'done';
    expect(abandonedBecause(state, NOW)).toBeNull();
  });
});

describe('fenced writes', () => {
  it("refuse every write once the run's lease changed, and write nothing", async () => {
    project = await tempProject();
    const config = loadTeamConfig({ cwd: project.dir });
    const raw = await writeRunningState({ config, runId: 'r1', feature: 'f' });
    const lease = (await raw.read()).run.owner?.lease as string;
    const fenced = fenceStore(raw, lease);
    await fenced.update((state) => {
      state.run.feature = 'written by the owner';
    });
    await raw.update((state) => {
      state.run.owner = ownerOf({ lease: 'the-next-owner' });
    });
    const before = await raw.read();
    const refused = await fenced
      .update((state) => {
        state.run.feature = 'written after losing the run';
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OwnershipLostError);
    expect((refused as OwnershipLostError).exitCode).toBe(6);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    expect(await raw.read()).toEqual(before);
    expect(before.run.feature).toBe('written by the owner');
  });
});

describe('claim fences', () => {
  it('refuse a late report of an earlier claim and record it; the current claim still reports', async () => {
    project = await tempProject();
    const config = loadTeamConfig({ cwd: project.dir });
    const task = newTask({
      task: {
        id: 'T1',
        title: 't',
        description: 'd',
        role: 'backend_developer',
        dependsOn: [],
        files: [],
        complexity: 'simple',
        acceptanceCriteria: [],
      },
      createdBy: 'manager',
      status: 'ready',
    });
    const store = openTeamStore(config);
    await writeRunningState({ config, runId: 'r1', feature: 'f', tasks: [task] });
    const events: unknown[] = [];
    const emit = (event: unknown): void => {
      events.push(event);
    };
    await store.update((state, context) => {
      const agent = state.agents['backend-dev'];
      if (agent !== undefined) agent.heartbeatAt = context.now;
      const first = claimTask({ state, agentId: 'backend-dev', config, now: context.now, emit });
      expect(first?.task.fence).toBe(1);
      // The agent stalls; its task goes back and is claimed again (by a restarted process of the same agent).
      releaseTask({ state, agentId: 'backend-dev', taskId: 'T1', reason: 'agent process died', emit });
      const second = claimTask({ state, agentId: 'backend-dev', config, now: context.now, emit });
      expect(second?.task.fence).toBe(2);

      expect(claimIsCurrent({ state, agentId: 'backend-dev', taskId: 'T1', fence: 1, emit })).toBe(false);
      expect(events.at(-1)).toMatchObject({ type: 'report-reject', taskId: 'T1', fence: 1, current: 2 });
      expect(state.tasks[0]?.status).toBe('in_progress');
      expect(claimIsCurrent({ state, agentId: 'qa-tester', taskId: 'T1', fence: 2, emit })).toBe(false);

      expect(claimIsCurrent({ state, agentId: 'backend-dev', taskId: 'T1', fence: 2, emit })).toBe(true);
      applyWorkReport({
        state,
        agentId: 'backend-dev',
        taskId: 'T1',
        report: { status: 'done', summary: 'done', filesChanged: [] },
        normalized: 'done',
        managerId: 'manager',
        now: context.now,
        emit,
      });
      // Once done, even the claim that finished it cannot write again.
      expect(claimIsCurrent({ state, agentId: 'backend-dev', taskId: 'T1', fence: 2, emit })).toBe(false);
      expect(events.at(-1)).toMatchObject({ type: 'report-reject', reason: expect.stringContaining('done') });
    });
  });
});

describe('the refusal of a live run', () => {
  it('names the owner and the way on, and for a run in a database that each command needs its --store', () => {
    const owner = ownerOf({ pid: 4242, host: 'build-3' });
    const common = { runId: 'r1', owner, attempted: 'Starting another run' };
    const onFile = new RunOwnedError({ ...common, stateFile: '/p/.ai-agents/state/team-communication.json', store: 'file' });
    expect(onFile.message).toContain('it belongs to pid 4242 on build-3');
    expect(onFile.message).toContain('`kill -INT 4242`), then `agent-team run --resume`.');
    expect(onFile.message).not.toContain('--store');
    const inDatabase = new RunOwnedError({ ...common, stateFile: 'team "p" in PostgreSQL postgres://u:***@db/x', store: 'postgres' });
    expect(inDatabase.message).toMatch(
      /then `agent-team run --resume`\. The agent-team commands above need the same `--store` \(or AGENT_TEAM_STORE\)\.$/,
    );
    expect(inDatabase.exitCode).toBe(6);
  });
});

describe('the refusal of an unfinished run', () => {
  it('points at --resume and --force, and for a run in a database says that either needs its --store', () => {
    const common = { runId: 'r1', status: 'interrupted', abandoned: 'no process owns it', runDir: '/p/.agent-runs/r1' };
    const onFile = new RunUnfinishedError({ ...common, where: '/p/.ai-agents/state/team-communication.json', store: 'file' });
    expect(onFile.message).toBe(
      'Run r1 in /p/.ai-agents/state/team-communication.json is interrupted (no process owns it). Continue it with ' +
        '`agent-team run --resume`, or start over with `--force` (its record stays in /p/.agent-runs/r1).',
    );
    const inDatabase = new RunUnfinishedError({ ...common, where: 'team "p" in PostgreSQL postgres://u:***@db/x', store: 'postgres' });
    expect(inDatabase.message).toMatch(
      /\(its record stays in \/p\/\.agent-runs\/r1\)\. Either needs the same `--store` \(or AGENT_TEAM_STORE\)\.$/,
    );
    expect(inDatabase.exitCode).toBe(2);
    expect(inDatabase.code).toBe('run_unfinished');
  });
});
