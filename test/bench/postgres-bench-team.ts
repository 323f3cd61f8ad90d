/**
 * The team and the agent steps of the PostgreSQL store benchmark, shared by the benchmark process and
 * its worker processes (postgres-bench-worker.ts). Every state change is made by the product's own
 * functions, in the role agent's order: `registerAgent` when an agent starts (alive, so the team hands
 * it work), `nextStep` to decide what to do next and claim, `reportWork` to report a task done (which
 * makes its dependents ready and hands ready tasks to idle agents in the same commit, the reporter
 * included). On PostgreSQL the last two are statements of the server (work-transitions.ts), so an
 * agent commits nothing while there is nothing for it and reads no copy of the run while it works.
 */
import type { TeamConfig } from '../../src/config/index.js';
import type { LedgerEvent, StateStore, TeamState, WatchScope } from '../../src/state/index.js';
import { registerAgent } from '../../src/team/agents/agent-lifecycle.js';
import { applyAgentReport } from '../../src/team/agents/apply-report.js';
import { startKey } from '../../src/team/agents/next-work.js';
import { initialTeamState } from '../../src/team/run/run-state.js';
import type { WorkReport } from '../../src/team/tasks/answer-schemas.js';
import { type ClaimedTask, claimedTaskFromGrant } from '../../src/team/tasks/claim-task.js';
import { nextStep, reportWork } from '../../src/team/agents/work-transitions.js';
import { claimIsCurrent } from '../../src/team/tasks/report-result.js';
import { allTasksFinished } from '../../src/team/tasks/scheduler.js';
import { newTask } from '../../src/team/tasks/task-factory.js';
import { testRunOptions } from '../support/running-state.js';
import { createTeamProject, type TeamProject } from '../state/conformance/team-setup.js';

type TeamStore = StateStore<TeamState, LedgerEvent>;

/** The backend developers of the roster: one per worker process of the throughput figure. */
export const DEVELOPERS = ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'dev-6', 'dev-7', 'dev-8'] as const;
/** The frontend developer whose finished tasks make backend tasks ready (the latency figure). */
export const MAKER = 'maker';

/** A temp project with the benchmark's roster, each agent on one task at a time (the product's default). */
export type BenchProject = TeamProject;

/** Creates the temp project (the conformance suite's, with this roster) and loads its config through the product's loader. */
export function createBenchProject(): Promise<BenchProject> {
  return createTeamProject({
    developers: DEVELOPERS,
    others: [{ id: MAKER, role: 'frontend_developer' }],
    prefix: 'agent-team-bench-pg-',
    maxConcurrentTasks: 1,
  });
}

/** One task of the plan: its role and the task it waits for, if any. */
export interface PlannedTask {
  readonly role: string;
  readonly dependsOn?: string;
}

/**
 * The state of a running sim run with `plan` (tasks T1…, ready when they wait for nothing, pending
 * otherwise), as a run's state looks once the manager has planned.
 */
export function benchState(input: { config: TeamConfig; plan: readonly PlannedTask[] }): TeamState {
  const { config } = input;
  const state = initialTeamState({
    config,
    runId: 'bench',
    feature: 'A feature many processes work on at once',
    options: testRunOptions({ config, runId: 'bench' }),
    simulated: true,
    budgetUsd: null,
    now: '2026-01-02T03:04:05.000Z',
  });
  state.run.status = 'running';
  state.tasks = input.plan.map((planned, index) =>
    newTask({
      task: {
        id: `T${index + 1}`,
        title: `Task ${index + 1}`,
        description: `Do part ${index + 1} of the feature.`,
        role: planned.role,
        dependsOn: planned.dependsOn === undefined ? [] : [planned.dependsOn],
        files: [],
        complexity: 'simple',
        acceptanceCriteria: [],
      },
      createdBy: 'manager',
      status: planned.dependsOn === undefined ? 'ready' : 'pending',
    }),
  );
  return state;
}

/** `tasks` backend tasks: the first half ready, each of the second half waiting for its counterpart in the first. */
export function halfDependentPlan(tasks: number): PlannedTask[] {
  const half = Math.ceil(tasks / 2);
  return Array.from({ length: tasks }, (_, index) =>
    index < half ? { role: 'backend_developer' } : { role: 'backend_developer', dependsOn: `T${index - half + 1}` },
  );
}

/** Counts the store's changes, as a role agent's wake signal does, so an agent can wait for the next one. */
export class ChangeSignal {
  #version = 0;
  #waiters: Array<{ since: number; resolve: () => void }> = [];
  readonly #stop: () => void;

  /** `scope`: 'work' as a role agent and the coordinator watch (the default), 'all' to hear of every commit (claims too). */
  constructor(store: TeamStore, scope: WatchScope = 'work') {
    this.#stop = store.watch(() => this.notify(), scope);
  }

  /** The number of changes seen so far. */
  get version(): number {
    return this.#version;
  }

  /** Records a change and wakes whoever waits for one. */
  notify(): void {
    this.#version += 1;
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) waiter.resolve();
  }

  /** Resolves once a change after `since` was seen. */
  wait(since: number): Promise<void> {
    if (this.#version > since) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ since, resolve }));
  }

  /** Stops the watch. */
  close(): void {
    this.#stop();
  }
}

/**
 * Reports a claimed task done in an update() of its own, with claimIsCurrent and applyAgentReport (as the
 * product does where the store has no transitions): one transition, plus a claim for each ready task the commit
 * hands to an idle agent. Returns the tasks it made ready (the latency figure's maker needs them).
 */
export function reportDoneInUpdate(input: {
  store: TeamStore;
  config: TeamConfig;
  agentId: string;
  claimed: Pick<ClaimedTask, 'task'>;
}): Promise<string[]> {
  const { config, agentId } = input;
  const { id: taskId, fence } = input.claimed.task;
  const report: WorkReport = { status: 'done', summary: `Did ${taskId}.`, filesChanged: [] };
  return input.store.update((state, context) => {
    const ready: string[] = [];
    let ended = false;
    const emit = (event: LedgerEvent): void => {
      if (event.type === 'task-ready') ready.push(event.taskId);
      if (event.type === 'task-end' && event.taskId === taskId && event.status === 'done') ended = true;
      context.emit(event);
    };
    if (!claimIsCurrent({ state, agentId, taskId, fence, emit })) throw new Error(`${agentId} lost its claim on ${taskId}`);
    applyAgentReport({ state, context: { now: context.now, emit }, config, agentId, taskId, report });
    if (!ended) throw new Error(`the report of ${taskId} did not end it done`);
    return ready;
  });
}

/**
 * Ends the run once every task is finished, as a run's coordinator does (coordinator.ts, whose process reads the
 * state on each change); the agents stop when they see it ended.
 */
export async function endWhenFinished(store: TeamStore): Promise<void> {
  const changes = new ChangeSignal(store);
  try {
    for (;;) {
      const since = changes.version;
      if (allTasksFinished(await store.read())) break;
      await changes.wait(since);
    }
    await store.update((state, context) => {
      state.run.status = 'done';
      state.run.endedAt = context.now;
      state.run.updatedAt = context.now;
    });
  } finally {
    changes.close();
  }
}

/**
 * One agent working until every task is finished, as a role agent works (role-agent.ts): registered first
 * (alive, so reports hand it ready tasks); a report's commit hands it its next task, which it starts at once;
 * with nothing handed, nextStep → start what another report handed it, or what it claimed, or wait for a
 * change; it stops when the run ends (endWhenFinished). Returns the tasks it finished (two transitions each: the claim, in a commit of its own or in the report
 * that handed it over, and the report) and the claims that found nothing (not counted as transitions).
 */
export async function drainTasks(input: {
  store: TeamStore;
  config: TeamConfig;
  agentId: string;
  changes: ChangeSignal;
  /** Hears of each claim as soon as its commit is acknowledged (or, for a task handed over, as soon as it is read). */
  onClaim?: (taskId: string) => void;
}): Promise<{ finished: string[]; emptyClaims: number }> {
  const { store, config, agentId } = input;
  const finished: string[] = [];
  const started = new Set<string>();
  const handed: ClaimedTask[] = [];
  let emptyClaims = 0;
  const finish = async (claimed: ClaimedTask): Promise<void> => {
    started.add(startKey(claimed.task));
    input.onClaim?.(claimed.task.id);
    const report: WorkReport = { status: 'done', summary: `Did ${claimed.task.id}.`, filesChanged: [] };
    const grants = await reportWork({ store, config, agentId, task: claimed.task, report });
    finished.push(claimed.task.id);
    for (const grant of grants ?? []) handed.push(claimedTaskFromGrant({ config, agentId, grant }));
  };
  await registerAgent({ store, config, agentId });
  for (;;) {
    const next = handed.shift();
    if (next !== undefined) {
      await finish(next);
      continue;
    }
    const since = input.changes.version;
    const step = await nextStep({ store, config, agentId, started, iterations: 0, maxIterations: Number.POSITIVE_INFINITY, busy: 0 });
    if (step.kind === 'start') {
      for (const claimed of step.tasks) await finish(claimed);
      continue;
    }
    if (step.kind === 'exit') break;
    emptyClaims += 1;
    await input.changes.wait(since);
  }
  return { finished, emptyClaims };
}
