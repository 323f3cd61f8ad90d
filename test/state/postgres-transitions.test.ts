/**
 * The PostgreSQL store's transitions (a claim, a done report, an agent's registration, each one statement of the
 * server) against the scheduler they stand in for: on random states of a running team, `nextStep`, `reportWork` and
 * `registerAgent` on a run in a real server must leave the same state, write the same events and give the agent the
 * same tasks (or refuse it the same way) as claimTask, claimIsCurrent + applyAgentReport and startAgent on a copy of
 * that state in memory; where the transitions answer 'undecided', the same change is made through update().
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TeamConfig } from '../../src/config/index.js';
import {
  type LedgerEvent,
  PostgresStore,
  type Task,
  taskLevels,
  type RunOwner,
  type StateStore,
  type TaskTransitions,
  type TeamState,
  type UpdateContext,
} from '../../src/state/index.js';
import { runChannel } from '../../src/state/postgres-listen.js';
import { dependentsOf } from '../../src/state/task-graph.js';
import { applyAgentReport } from '../../src/team/agents/apply-report.js';
import { callSettlement } from '../../src/team/agents/call-settlement.js';
import { hostId } from '../../src/files/index.js';
import { registerAgent, startAgent } from '../../src/team/agents/agent-lifecycle.js';
import { fenceStore, OwnershipLostError } from '../../src/team/agents/fenced-store.js';
import { nextStep, reportWork } from '../../src/team/agents/work-transitions.js';
import { type NextStep, nextWork, startKey } from '../../src/team/agents/next-work.js';
import { initialTeamState } from '../../src/team/run/run-state.js';
import type { WorkReport } from '../../src/team/tasks/answer-schemas.js';
import { type ClaimedTask, claimedTaskFrom, claimedTaskFromGrant, claimTask, modelsBySize } from '../../src/team/tasks/claim-task.js';
import { claimIsCurrent, failTask, releaseTask } from '../../src/team/tasks/report-result.js';
import { newTask } from '../../src/team/tasks/task-factory.js';
import { normalizeOutput } from '../../src/team/tasks/work-context.js';
import { postgresForFile } from '../support/postgres.js';
import { testRunOptions } from '../support/running-state.js';
import { createTeamProject, runningState, type TeamProject } from './conformance/team-setup.js';

const server = postgresForFile();
const AGENTS = ['dev-1', 'dev-2', 'dev-3', 'fe-1'] as const;
const ROLES = ['backend_developer', 'frontend_developer'] as const;
const COMPLEXITIES = ['simple', 'medium', 'complex'] as const;
const PLANNED_AT = '2026-01-02T03:04:05.000Z';
const NOW = '2026-01-02T04:00:00.000Z';
// The run's owner in the tests of leases: another process, whose lease is 'lease-now'.
const OWNER: RunOwner = {
  pid: 1,
  host: 'elsewhere',
  pidStart: null,
  lease: 'lease-now',
  command: 'run',
  since: PLANNED_AT,
  expiresAt: NOW,
};
// A heartbeat a few seconds before NOW: its process counts as alive.
const FRESH = '2026-01-02T03:59:55.000Z';
const CASES = 160;

let project: TeamProject;
let url: string;

beforeAll(async () => {
  project = await createTeamProject({ developers: ['dev-1', 'dev-2', 'dev-3'], others: [{ id: 'fe-1', role: 'frontend_developer' }] });
  url = await (await server()).createDatabase();
});

afterAll(async () => {
  await project?.remove();
});

/** A small seeded generator (mulberry32). */
function generator(seed: number): { next: () => number; int: (below: number) => number; pick: <T>(list: readonly T[]) => T } {
  let value = seed >>> 0;
  const next = (): number => {
    value = (value + 0x6d2b79f5) >>> 0;
    let t = value;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  return { next, int, pick: (list) => list[int(list.length)] as (typeof list)[number] };
}

const quiet = (now: string): UpdateContext<LedgerEvent> => ({ emit: () => undefined, now });

/** A running team's state after a plan and some random claims, reports, failures, releases and stops, made by the scheduler. */
function randomState(config: TeamConfig, random: ReturnType<typeof generator>): TeamState {
  const state = initialTeamState({
    config,
    runId: 'transitions',
    feature: 'A feature',
    options: testRunOptions({ config, runId: 'transitions' }),
    simulated: true,
    budgetUsd: null,
    now: PLANNED_AT,
  });
  state.run.status = 'running';
  const count = 3 + random.int(12);
  state.tasks = Array.from({ length: count }, (_, index) => {
    const dependsOn = [...new Set(Array.from({ length: random.int(3) }, () => random.int(index)).filter(() => index > 0))].map(
      (place) => `T${place + 1}`,
    );
    return newTask({
      task: {
        id: random.next() < 0.1 ? `T${index + 1}-B1-T` : `T${index + 1}`,
        title: `Task ${index + 1}`,
        description: `Part ${index + 1}.`,
        role: random.pick(ROLES),
        dependsOn: dependsOn.filter((id) => id !== `T${index + 1}`),
        files: random.next() < 0.08 ? ['src/shared.ts'] : [],
        complexity: random.pick(COMPLEXITIES),
        acceptanceCriteria: [],
      },
      createdBy: 'manager',
      status: 'pending',
    });
  });
  // Dependencies on a task whose id was changed above point nowhere: keep the plan whole.
  const ids = new Set(state.tasks.map((task) => task.id));
  for (const task of state.tasks) {
    task.dependsOn = task.dependsOn.filter((id) => ids.has(id));
    if (task.dependsOn.length === 0) task.status = 'ready';
    task.attempts = random.int(4);
  }
  for (const id of AGENTS) {
    const agent = state.agents[id];
    if (agent === undefined) throw new Error(`no agent ${id} in the state`);
    agent.maxConcurrentTasks = 1 + random.int(2);
    if (random.next() < 0.8) agent.heartbeatAt = PLANNED_AT;
  }
  if (random.next() < 0.3) {
    state.budget.reservations.r1 = { agentId: random.pick(AGENTS), usd: 0.25, tokens: 900 };
    state.budget.reservedUsd = 0.25;
    state.budget.reservedTokens = 900;
  }
  if (random.next() < 0.05) state.run.execution.checkpoints = ['after-plan'];
  const steps = random.int(14);
  for (let step = 0; step < steps; step += 1) {
    const agentId = random.pick(AGENTS);
    const agent = state.agents[agentId] as TeamState['agents'][string];
    const held = agent.activeTasks[0];
    const action = random.next();
    const emit = (): void => undefined;
    if (action < 0.45 || held === undefined) {
      if (agent.status !== 'stopped') claimTask({ state, agentId, config, now: PLANNED_AT, emit });
    } else if (action < 0.75) {
      applyAgentReport({
        state,
        context: quiet(PLANNED_AT),
        config,
        agentId,
        taskId: held,
        report: { status: 'done', summary: `Step ${step} done.`, filesChanged: [] },
      });
    } else if (action < 0.85) failTask({ state, agentId, taskId: held, reason: 'gave up', now: PLANNED_AT, emit });
    else if (action < 0.93) releaseTask({ state, agentId, taskId: held, reason: 'interrupted', emit });
    else {
      for (const taskId of [...agent.activeTasks]) releaseTask({ state, agentId, taskId, reason: 'stopped', emit });
      agent.status = 'stopped';
      agent.stopReason = 'interrupted';
    }
  }
  return state;
}

/** The state without its seq: the transitions write nothing when there is nothing to do, where update() counts a commit. */
function content(state: TeamState): Omit<TeamState, 'seq'> {
  const { seq: _seq, ...rest } = structuredClone(state);
  return rest;
}

/** The ledger's events after `seq`, as they were emitted. */
async function eventsAfter(store: PostgresStore, seq: number): Promise<LedgerEvent[]> {
  return (await store.readLedger(seq)).map(({ seq: _seq, at: _at, ...event }) => event as LedgerEvent);
}

/** What another process hears of run `run`: the seqs NOTIFYed on its channel, in order. */
async function listenTo(run: string): Promise<{ heard: number[]; until: (seq: number) => Promise<void>; end: () => Promise<void> }> {
  const channel = runChannel(run);
  const heard: number[] = [];
  let arrived = (): void => undefined;
  const client = new pg.Client({ connectionString: url });
  client.on('notification', (message) => {
    if (message.channel === channel) heard.push(Number(message.payload));
    arrived();
  });
  await client.connect();
  await client.query(`LISTEN "${channel}"`);
  return {
    heard,
    // Resolves once `seq` was heard (notifications come in commit order).
    until: async (seq) => {
      while (!heard.includes(seq)) await new Promise<void>((resolve) => (arrived = resolve));
    },
    end: () => client.end(),
  };
}

/** The store, with the kinds of the transitions' answers noted. */
function noting(store: PostgresStore, kinds: string[]): StateStore<TeamState, LedgerEvent> {
  const transitions: TaskTransitions = {
    look: (input) => store.transitions.look(input),
    claim: async (input) => {
      const outcome = await store.transitions.claim(input);
      kinds.push(`claim:${outcome.kind}`);
      return outcome;
    },
    reportDone: async (report) => {
      const outcome = await store.transitions.reportDone(report);
      kinds.push(`report:${outcome.kind}`);
      return outcome;
    },
    register: async (registration) => {
      const outcome = await store.transitions.register(registration);
      kinds.push(`register:${outcome.kind}`);
      return outcome;
    },
    beat: (input) => store.transitions.beat(input),
  };
  return {
    read: () => store.read(),
    exists: () => store.exists(),
    update: (fn) => store.update(fn),
    watch: (fn) => store.watch(fn),
    close: () => store.close(),
    transitions,
  };
}

describe('PostgreSQL task transitions', () => {
  it(`make the scheduler's change on ${CASES} random states of a running team`, async () => {
    const { config } = project;
    const kinds: string[] = [];
    for (let seed = 1; seed <= CASES; seed += 1) {
      const random = generator(seed);
      const planned = randomState(config, random);
      const holders = AGENTS.filter((id) => (planned.agents[id]?.activeTasks.length ?? 0) > 0);
      const reporting = holders.length > 0 && random.next() < 0.6;
      const agentId = reporting ? random.pick(holders) : random.pick(AGENTS);
      const held = planned.agents[agentId]?.activeTasks[0];
      const report: WorkReport = {
        status: 'done',
        summary: `Finished ${held ?? 'nothing'} with care (${seed}).`,
        filesChanged: random.next() < 0.5 ? ['src/feature.ts'] : [],
        ...(random.next() < 0.3 ? { notes: 'See the tests.' } : {}),
      };
      const heldTask = planned.tasks.find((task) => task.id === held);
      // One case in five, the agent's process starts (drawn apart, so the other cases stay as they were): the
      // state may name a process that serves it elsewhere (alive, or silent), this one, or one that stopped it.
      const registerDraw = generator(seed + 100_000);
      const registering = registerDraw.next() < 0.2;
      if (registering) {
        const agent = planned.agents[agentId] as TeamState['agents'][string];
        const record = registerDraw.next();
        if (record < 0.25) Object.assign(agent, { pid: 999_999, host: 'another-host', heartbeatAt: FRESH });
        else if (record < 0.4) Object.assign(agent, { pid: 999_999, host: 'another-host' });
        else if (record < 0.5) Object.assign(agent, { pid: process.pid, host: hostId(), heartbeatAt: FRESH });
        else if (record < 0.7) {
          // Stopped by an earlier process of it.
          for (const taskId of [...agent.activeTasks])
            releaseTask({ state: planned, agentId, taskId, reason: 'stopped', emit: () => undefined });
          Object.assign(agent, { status: 'stopped', stopReason: 'interrupted', pid: 999_999, host: 'another-host' });
        }
      }
      // The same answer as last time on this task is a loop, which the transitions leave to update().
      if (reporting && heldTask !== undefined && random.next() < 0.1) heldTask.lastOutput = normalizeOutput(report);
      const store = new PostgresStore({
        url,
        run: `transitions-${seed}`,
        initial: () => structuredClone(planned),
        now: () => new Date(NOW),
      });
      try {
        await store.update(() => undefined);
        const before = structuredClone(await store.read());
        const expected = structuredClone(before);
        const emitted: LedgerEvent[] = [];
        const context: UpdateContext<LedgerEvent> = { emit: (event) => emitted.push(event), now: NOW };
        const observed = noting(store, kinds);
        const where = `seed ${seed}, ${
          registering ? `${agentId} registers` : reporting ? `${agentId} reports ${held} done` : `${agentId} decides what to do next`
        }`;
        if (registering) {
          let wanted: ReturnType<typeof startAgent> | Error;
          try {
            wanted = startAgent({ state: expected, config, agentId, now: NOW, emit: context.emit });
          } catch (error) {
            wanted = error as Error;
          }
          if (wanted instanceof Error)
            await expect(registerAgent({ store: observed, config, agentId }), where).rejects.toThrow(wanted.message);
          else expect(await registerAgent({ store: observed, config, agentId }), where).toEqual(wanted);
        } else if (!reporting || heldTask === undefined) {
          // What the agent started of what it holds (a random part), how far it went, how much it runs.
          const holding = expected.tasks.filter((task) => task.status === 'in_progress' && task.assignee === agentId);
          const started = new Set(holding.filter(() => random.next() < 0.7).map(startKey));
          const judged = { agentId, started, iterations: random.next() < 0.1 ? 5 : 0, maxIterations: 5, busy: random.int(2) };
          const next = nextWork({ state: expected, ...judged });
          let wanted: NextStep<ClaimedTask>;
          if (next.kind === 'start') {
            wanted = { kind: 'start', tasks: next.tasks.map((task) => claimedTaskFrom({ state: expected, config, agentId, task })) };
          } else if (next.kind === 'claim') {
            const claimed = claimTask({ state: expected, agentId, config, now: NOW, emit: context.emit });
            wanted = claimed === undefined ? { kind: 'wait' } : { kind: 'start', tasks: [claimed] };
          } else wanted = next;
          expect(await nextStep({ store: observed, config, ...judged }), where).toEqual(wanted);
        } else {
          const fence = random.next() < 0.15 ? heldTask.fence + 1 : heldTask.fence;
          const settle =
            random.next() < 0.5
              ? callSettlement({
                  agentId,
                  reservationId: random.next() < 0.5 ? 'r1' : 'r-none',
                  usage: {
                    inputTokens: 1200,
                    outputTokens: 340,
                    cacheReadTokens: 800,
                    cacheWriteTokens: 0,
                    reasoningTokens: random.int(50),
                  },
                  costUsd: 0.0123,
                  tokens: 1540,
                  event: {
                    type: 'model-call',
                    agentId,
                    taskId: held ?? null,
                    purpose: 'work',
                    provider: 'sim',
                    model: 'claude-sonnet-4-5',
                    usage: { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 800, cacheWriteTokens: 0 },
                    costUsd: 0.0123,
                    latencyMs: 12,
                    simulated: true,
                    repair: false,
                  },
                })
              : undefined;
          settle?.(expected, context);
          const emittedBefore = emitted.length;
          if (claimIsCurrent({ state: expected, agentId, taskId: heldTask.id, fence, emit: context.emit })) {
            applyAgentReport({ state: expected, context, config, agentId, taskId: heldTask.id, report });
          }
          const grants = await reportWork({ store: observed, config, agentId, task: { id: heldTask.id, fence }, report, settle });
          if (grants !== undefined) {
            // The tasks the report's commit handed to the reporter, in the order it handed them.
            const handed: ClaimedTask[] = emitted.slice(emittedBefore).flatMap((event) => {
              const task =
                event.type === 'task-claim' && event.agentId === agentId
                  ? expected.tasks.find((one) => one.id === event.taskId)
                  : undefined;
              return task === undefined ? [] : [claimedTaskFrom({ state: expected, config, agentId, task })];
            });
            expect(
              grants.map((grant) => claimedTaskFromGrant({ config, agentId, grant })),
              where,
            ).toEqual(handed);
          }
        }
        const after = await store.read();
        expect(content(after), where).toEqual(content(expected));
        expect(await eventsAfter(store, before.seq), where).toEqual(emitted);
      } finally {
        await store.close();
      }
    }
    // The transitions decided most cases themselves, each kind of answer at least once.
    const decided = kinds.filter((kind) => !kind.endsWith(':undecided')).length;
    expect(decided / kinds.length).toBeGreaterThan(0.6);
    for (const kind of [
      'claim:claimed',
      'claim:none',
      'claim:undecided',
      'report:done',
      'report:rejected',
      'report:undecided',
      'register:registered',
      'register:undecided',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
  }, 120_000);

  it("keep each task's level and dependents and the plan's ids current, writing and sending only what changed", async () => {
    const { config } = project;
    const run = 'graph-changes';
    const planned = initialTeamState({
      config,
      runId: run,
      feature: 'A feature',
      options: testRunOptions({ config, runId: run }),
      simulated: true,
      budgetUsd: null,
      now: PLANNED_AT,
    });
    planned.run.status = 'running';
    // 40 tasks in chains of four (T4 after T3 after T2 after T1, …), the first of each ready.
    planned.tasks = Array.from({ length: 40 }, (_, index) =>
      newTask({
        task: {
          id: `T${index + 1}`,
          title: `Task ${index + 1}`,
          description: `Part ${index + 1}.`,
          role: 'backend_developer',
          dependsOn: index % 4 === 0 ? [] : [`T${index}`],
          files: [],
          complexity: 'medium',
          acceptanceCriteria: [],
        },
        createdBy: 'manager',
        status: index % 4 === 0 ? 'ready' : 'pending',
      }),
    );
    for (const id of AGENTS) (planned.agents[id] as TeamState['agents'][string]).heartbeatAt = PLANNED_AT;
    const coordinator = new PostgresStore({ url, run, initial: () => structuredClone(planned), now: () => new Date(NOW) });
    const worker = new PostgresStore({ url, run, now: () => new Date(NOW) });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await coordinator.update(() => undefined);
      const claimed = await worker.transitions.claim({ agentId: 'dev-1', models: modelsBySize(config, 'dev-1') });
      expect(claimed.kind).toBe('claimed');
      let seen = claimed.kind === 'claimed' ? claimed.grant.taskIds : [];
      /** Makes `change` in a commit; then the rows must say what the state says, and the worker must see the state's ids. */
      const step = async (what: string, change: (state: TeamState) => void): Promise<{ written: number; ids: readonly string[] }> => {
        await coordinator.update((draft) => change(draft));
        const state = await coordinator.read();
        const rows = await client.query<{ key: string; level: number; dependents: string[]; fresh: boolean }>(
          `SELECT key, level, dependents, xmin = (SELECT xmin FROM runs WHERE run_key = $1) AS fresh
             FROM tasks WHERE run_key = $1 AND NOT deleted ORDER BY position`,
          [run],
        );
        const levels = taskLevels(state.tasks);
        const dependents = dependentsOf(state.tasks);
        expect(
          rows.rows.map(({ key, level, dependents }) => ({ key, level, dependents })),
          what,
        ).toEqual(
          state.tasks.map((task) => ({
            key: task.id,
            level: levels.get(task.id),
            dependents: (dependents.get(task.id) ?? []).map((dependent) => dependent.id),
          })),
        );
        const look = await worker.transitions.look({ agentId: 'dev-1' });
        const ids = look.held[0]?.taskIds ?? [];
        expect(ids, what).toEqual(state.tasks.map((task) => task.id));
        return { written: rows.rows.filter((row) => row.fresh).length, ids };
      };
      // A prerequisite of T7 at the end of the plan: the graph's columns are written for it and T7 (its dependencies) alone,
      // the only tasks whose level or dependents changed; not for the other 39.
      const prerequisite = await step('a prerequisite added', (state) => {
        state.tasks.push(
          newTask({ task: { ...(state.tasks[0] as Task), id: 'T7-B1-T', dependsOn: [] }, createdBy: 'manager', status: 'ready' }),
        );
        (state.tasks[6] as Task).dependsOn.push('T7-B1-T');
      });
      expect(prerequisite.written).toBe(2);
      // Only the ids after those the worker knew were sent.
      const answer = await client.query<{ answer: { held: { taskIds: string[]; taskIdsFrom: number }[] } }>(
        'SELECT agent_team_look($1, $2, $3, $4) AS answer',
        [run, 'dev-1', 1, 40],
      );
      expect(answer.rows[0]?.answer.held.map(({ taskIds, taskIdsFrom }) => ({ taskIds, taskIdsFrom }))).toEqual([
        { taskIds: ['T7-B1-T'], taskIdsFrom: 40 },
      ]);
      seen = prerequisite.ids;
      // A dependency added, no task added: the worker keeps the very list it had.
      const dependency = await step('a dependency added', (state) => {
        (state.tasks[9] as Task).dependsOn.push('T1');
      });
      expect(dependency.ids).toBe(seen);
      // A task removed (the last of a chain), one moved, one added in the middle: every id is sent again.
      await step('a task removed', (state) => {
        state.tasks.splice(39, 1);
      });
      await step('a task moved', (state) => {
        const [moved] = state.tasks.splice(20, 1);
        state.tasks.push(moved as Task);
      });
      await step('a task added in the middle', (state) => {
        state.tasks.splice(
          5,
          0,
          newTask({ task: { ...(state.tasks[0] as Task), id: 'T0', dependsOn: [] }, createdBy: 'manager', status: 'ready' }),
        );
      });
    } finally {
      await client.end();
      await worker.close();
      await coordinator.close();
    }
  });

  it('refuse a claim and a report for a lease the run no longer has, writing nothing', async () => {
    const { config } = project;
    const planned = runningState({ config, tasks: 3 });
    const held = claimTask({ state: planned, agentId: 'dev-1', config, now: PLANNED_AT, emit: () => undefined });
    if (held === undefined) throw new Error('dev-1 claimed nothing');
    planned.run.owner = OWNER;
    const store = new PostgresStore({ url, run: 'transitions-lease', initial: () => structuredClone(planned), now: () => new Date(NOW) });
    try {
      await store.update(() => undefined);
      const before = await store.read();
      const stale = fenceStore(store, 'lease-before');
      const free = { started: new Set<string>(), iterations: 0, maxIterations: 10, busy: 0 };
      await expect(nextStep({ store: stale, config, agentId: 'dev-2', ...free })).rejects.toBeInstanceOf(OwnershipLostError);
      const report: WorkReport = { status: 'done', summary: 'Late.', filesChanged: [] };
      await expect(
        reportWork({ store: stale, config, agentId: 'dev-1', task: { id: held.task.id, fence: held.task.fence }, report }),
      ).rejects.toBeInstanceOf(OwnershipLostError);
      // With the run's lease both go through.
      const owned = fenceStore(store, 'lease-now');
      expect(await nextStep({ store: owned, config, agentId: 'dev-2', ...free })).toMatchObject({
        kind: 'start',
        tasks: [{ task: { assignee: 'dev-2' } }],
      });
      expect(
        await reportWork({ store: owned, config, agentId: 'dev-1', task: { id: held.task.id, fence: held.task.fence }, report }),
      ).toEqual([expect.objectContaining({ task: expect.objectContaining({ id: 'T3', assignee: 'dev-1' }) })]);
      expect((await store.read()).seq).toBe(before.seq + 2);
    } finally {
      await store.close();
    }
  });
  it("write a heartbeat as the agent's heartbeatAt alone, in a commit that wakes no one, and refuse it for a stale lease", async () => {
    const { config } = project;
    const planned = runningState({ config, tasks: 2 });
    planned.run.owner = OWNER;
    const store = new PostgresStore({ url, run: 'transitions-beat', initial: () => structuredClone(planned), now: () => new Date(NOW) });
    const listener = await listenTo('transitions-beat');
    const { heard } = listener;
    try {
      await store.update(() => undefined);
      const before = await store.read();
      expect(await store.transitions.beat({ agentId: 'dev-2' })).toEqual({ kind: 'beat' });
      // The same as an update() that writes the heartbeat, and nothing else: a commit without events.
      const expected = structuredClone(before);
      (expected.agents['dev-2'] as TeamState['agents'][string]).heartbeatAt = NOW;
      expect(content(await store.read())).toEqual(content(expected));
      expect((await store.read()).seq).toBe(before.seq + 1);
      expect(await eventsAfter(store, before.seq)).toEqual([]);
      // No such agent: nothing written. A lease the run no longer has: refused, nothing written.
      expect(await store.transitions.beat({ agentId: 'nobody' })).toEqual({ kind: 'undecided' });
      const stale = fenceStore(store, 'lease-before').transitions;
      await expect(stale?.beat({ agentId: 'dev-2' })).rejects.toBeInstanceOf(OwnershipLostError);
      expect((await store.read()).seq).toBe(before.seq + 1);
      // The next update() notifies; the heartbeat before it did not.
      await store.update(() => undefined);
      const notified = (await store.read()).seq;
      await listener.until(notified);
      expect(heard.filter((seq) => seq > before.seq)).toEqual([notified]);
    } finally {
      await listener.end();
      await store.close();
    }
  });

  it('NOTIFY other processes and wake the watches of work only when a report may give someone something to do', async () => {
    const { config } = project;
    const state = runningState({ config, tasks: 0 });
    // [id, role, dependency]
    const plan: [string, (typeof ROLES)[number], string | undefined][] = [
      ['T1', 'backend_developer', undefined],
      ['T2', 'backend_developer', undefined],
      ['T3', 'frontend_developer', 'T1'],
      ['T4', 'backend_developer', 'T2'],
      ['T5', 'backend_developer', undefined],
      ['T6', 'frontend_developer', 'T5'],
    ];
    state.tasks = plan.map(([id, role, dependency]) =>
      newTask({
        task: {
          id,
          title: id,
          description: `Part ${id}.`,
          role,
          dependsOn: dependency === undefined ? [] : [dependency],
          files: [],
          complexity: 'simple',
          acceptanceCriteria: [],
        },
        createdBy: 'manager',
        status: dependency === undefined ? 'ready' : 'pending',
      }),
    );
    // dev-1 and fe-1 are alive (a report may hand them tasks); dev-2 waits for work, not alive yet (a report cannot
    // hand it any: it claims for itself); dev-3 stopped.
    for (const id of ['dev-1', 'fe-1', 'dev-2']) {
      const agent = state.agents[id] as TeamState['agents'][string];
      agent.heartbeatAt = id === 'dev-2' ? null : PLANNED_AT;
      agent.maxConcurrentTasks = 1;
    }
    (state.agents['dev-3'] as TeamState['agents'][string]).status = 'stopped';
    const actor = new PostgresStore({ url, run: 'transitions-wake', initial: () => structuredClone(state), now: () => new Date(NOW) });
    // What another process hears: the NOTIFYs of the run's channel, with their seqs.
    const listener = await listenTo('transitions-wake');
    const { heard } = listener;
    // And this process's own watches, told of its commits as they are made.
    const own = { all: 0, work: 0 };
    const stops = [actor.watch(() => (own.all += 1), 'all'), actor.watch(() => (own.work += 1), 'work')];
    try {
      await actor.update(() => undefined);
      const from = { ...own };
      const free = { started: new Set<string>(), iterations: 0, maxIterations: 10, busy: 0 };
      const done: WorkReport = { status: 'done', summary: 'Done.', filesChanged: [] };
      const seqs: number[] = [];
      const report = async (claimed: ClaimedTask): Promise<readonly string[]> => {
        free.started.add(startKey(claimed.task));
        const grants = await reportWork({ store: actor, config, agentId: 'dev-1', task: claimed.task, report: done });
        return (grants ?? []).map((grant) => grant.task.id);
      };
      const handed = async (ids: readonly string[]): Promise<ClaimedTask> => {
        const now = await actor.read();
        seqs.push(now.seq);
        const task = now.tasks.find((candidate) => candidate.id === ids[0]);
        if (ids.length !== 1 || task === undefined) throw new Error(`dev-1 was handed ${ids.join(', ') || 'nothing'}`);
        return claimedTaskFrom({ state: now, config, agentId: 'dev-1', task });
      };
      const step = await nextStep({ store: actor, config, agentId: 'dev-1', ...free });
      if (step.kind !== 'start' || step.tasks[0]?.task.id !== 'T1') throw new Error(`dev-1 did not claim T1: ${JSON.stringify(step)}`);
      const claimSeq = (await actor.read()).seq;
      expect(own.work - from.work, 'a claim').toBe(0);
      // T1 done: T3 goes to fe-1, another agent (work); dev-1 is handed T2.
      const afterT1 = await report(step.tasks[0]);
      expect(afterT1).toEqual(['T2']);
      expect(own.work - from.work, 'T1 done, T3 handed to fe-1').toBe(1);
      // T2 done: T4 made ready goes to nobody (dev-1 is handed T5, which heads a longer chain) while dev-2 waits.
      const afterT2 = await report(await handed(afterT1));
      expect(afterT2).toEqual(['T5']);
      expect(own.work - from.work, 'T2 done, T4 left to dev-2').toBe(2);
      // T5 done: T6 made ready goes to nobody, and no frontend agent waits (fe-1 is busy); dev-1 is handed T4.
      const afterT5 = await report(await handed(afterT2));
      expect(afterT5).toEqual(['T4']);
      expect(own.work - from.work, 'T5 done, T4 handed to its reporter').toBe(2);
      // T4 done: nothing left for dev-1 (the coordinator may have a run to end).
      expect(await report(await handed(afterT5))).toEqual([]);
      expect(own.work - from.work, 'T4 done, nothing handed').toBe(3);
      expect(own.all - from.all, 'every commit of this process').toBe(5);
      // An update() wakes both.
      await actor.update((draft, context) => {
        draft.run.updatedAt = context.now;
      });
      const last = (await actor.read()).seq;
      await listener.until(last);
      // The claim and T5's report (seqs[2]), which concern no one else, sent none.
      const [t1, t2] = seqs;
      expect(heard.filter((seq) => seq >= claimSeq)).toEqual([t1, t2, last - 1, last]);
    } finally {
      for (const stop of stops) stop();
      await listener.end();
      await actor.close();
    }
  });
});
