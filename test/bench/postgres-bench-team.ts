/**
 * The team and the agent steps of the PostgreSQL store benchmark, shared by the benchmark process and
 * its worker processes (postgres-bench-worker.ts). Every state change is made by the product's own
 * functions through `store.update()`, in the role agent's order: `registerAgent` when an agent starts
 * (alive, so the team hands it work), `claimTask` to claim, `claimIsCurrent` + `applyAgentReport` to
 * report a task done (which makes its dependents ready and hands ready tasks to idle agents in the
 * same commit, the reporter included). An agent decides what to do next from a read of the state with
 * `nextWork`, as a role agent does: start what was handed to it (no commit), claim, or wait, so it
 * commits nothing while there is nothing for it.
 */
import type { TeamConfig } from '../../src/config/index.js';
import type { LedgerEvent, StateStore, TeamState } from '../../src/state/index.js';
import { registerAgent } from '../../src/team/agents/agent-lifecycle.js';
import { applyAgentReport } from '../../src/team/agents/apply-report.js';
import { nextWork, startKey } from '../../src/team/agents/next-work.js';
import { initialTeamState } from '../../src/team/run/run-state.js';
import type { WorkReport } from '../../src/team/tasks/answer-schemas.js';
import { type ClaimedTask, claimTask } from '../../src/team/tasks/claim-task.js';
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

/** A temp project with the benchmark's roster. */
export type BenchProject = TeamProject;

/** Creates the temp project (the conformance suite's, with this roster) and loads its config through the product's loader. */
export function createBenchProject(): Promise<BenchProject> {
  return createTeamProject({ developers: DEVELOPERS, others: [{ id: MAKER, role: 'frontend_developer' }], prefix: 'agent-team-bench-pg-' });
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

  constructor(store: TeamStore) {
    this.#stop = store.watch(() => this.notify());
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

/** Claims the agent's next task with the product's claimTask: one transition, or none when it got nothing. */
export function claimNext(input: { store: TeamStore; config: TeamConfig; agentId: string }): Promise<ClaimedTask | undefined> {
  const { config, agentId } = input;
  return input.store.update((state, context) => claimTask({ state, agentId, config, now: context.now, emit: context.emit }));
}

/**
 * Reports a claimed task done, as a role agent's report is applied: one transition, plus a claim for each
 * ready task the commit hands to an idle agent. Returns the tasks it made ready.
 */
export function reportDone(input: {
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
 * One agent working until every task is finished, as a role agent works: registered first (alive, so
 * reports hand it ready tasks); then read → start the tasks handed to it, or claim one → report each
 * done, waiting for a change when there is nothing for it. Returns the tasks it finished (two
 * transitions each: the claim, in a commit of its own or in the report that handed it over, and the
 * report) and the claims that found nothing (an empty commit each, as in the product, not counted as
 * transitions).
 */
export async function drainTasks(input: {
  store: TeamStore;
  config: TeamConfig;
  agentId: string;
  changes: ChangeSignal;
  /** Hears of each claim as soon as its commit is acknowledged (or, for a task handed over, as soon as it is read). */
  onClaim?: (taskId: string) => void;
}): Promise<{ finished: string[]; emptyClaims: number }> {
  const finished: string[] = [];
  const started = new Set<string>();
  let emptyClaims = 0;
  await registerAgent({ store: input.store, config: input.config, agentId: input.agentId });
  for (;;) {
    const since = input.changes.version;
    const state = await input.store.read();
    if (allTasksFinished(state)) break;
    const next = nextWork({ state, agentId: input.agentId, started, iterations: 0, maxIterations: Number.POSITIVE_INFINITY, busy: 0 });
    if (next.kind === 'start') {
      // Handed over by a report's commit: the claim is in that commit; the agent starts it from what it read.
      for (const task of next.tasks) {
        started.add(startKey(task));
        input.onClaim?.(task.id);
        await reportDone({ ...input, claimed: { task } });
        finished.push(task.id);
      }
      continue;
    }
    if (next.kind === 'claim') {
      const claimed = await claimNext(input);
      if (claimed !== undefined) {
        started.add(startKey(claimed.task));
        input.onClaim?.(claimed.task.id);
        await reportDone({ ...input, claimed });
        finished.push(claimed.task.id);
        continue;
      }
      emptyClaims += 1;
    }
    await input.changes.wait(since);
  }
  return { finished, emptyClaims };
}
