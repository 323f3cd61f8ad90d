import { BudgetExceededError, InvalidModelOutputError } from '../../errors/index.js';
import { getLogger } from '../../observability/index.js';
import { WorkerQueue } from '../../queue/index.js';
import { TERMINAL_RUN_STATUSES, type Blocker, type TeamState } from '../../state/index.js';
import { runWorkspace } from '../agents/task-workspace.js';
import { TaskIntegration, tasksInReview } from '../integration/task-integration.js';
import { applyResolution } from '../tasks/apply-resolution.js';
import { dispatchReady } from '../tasks/claim-task.js';
import type { Manager } from '../agents/manager.js';
import { failTask, releaseTask } from '../tasks/report-result.js';
import { allTasksFinished, orphanedTasks } from '../tasks/scheduler.js';
import type { TeamContext } from '../agents/team-context.js';

const log = getLogger('team:coordinator');

/** How the coordination loop ended. */
export type CoordinatorExit = 'finished' | 'interrupted' | 'budget-exceeded';

/**
 * The manager's side of a running team: resolves open blockers (up to the manager's
 * max_concurrent_tasks at once), releases tasks of silent agents, fails tasks no live
 * agent can take, and integrates when every task has finished.
 */
export class Coordinator {
  readonly #context: TeamContext;
  readonly #manager: Manager;
  // Blocker resolutions run as jobs: at most the manager's max_concurrent_tasks at once.
  readonly #resolutions: WorkerQueue<void>;
  readonly #resolving = new Set<string>();
  // Workspace runs: finished tasks going through their gates and merge.
  readonly #integrations: WorkerQueue<void>;
  readonly #integrating = new Set<string>();
  #integration: TaskIntegration | undefined;
  readonly #abort = new AbortController();
  // An unexpected error in a background resolution ends the loop and is rethrown.
  #fatal: unknown;

  constructor(context: TeamContext, manager: Manager) {
    this.#context = context;
    this.#manager = manager;
    this.#resolutions = new WorkerQueue<void>({ concurrency: context.config.manager.maxConcurrentTasks });
    this.#integrations = new WorkerQueue<void>({ concurrency: Math.max(1, context.config.manager.maxConcurrentTasks) });
  }

  /** Coordinates until the run ends or `signal` aborts. */
  async run(signal?: AbortSignal): Promise<CoordinatorExit> {
    const { store, wake, config } = this.#context;
    const onAbort = (): void => this.#abort.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    const capacity = config.manager.maxConcurrentTasks;
    const staleMs = config.orchestrator.coordination.heartbeat_seconds * 3000;
    try {
      const first = await store.read();
      if (first.run.options.workspace !== null) {
        this.#integration = new TaskIntegration(
          this.#context,
          await runWorkspace({ repo: first.run.options.workspace, runId: first.run.id }),
        );
      }
      while (!this.#abort.signal.aborted) {
        const since = wake.version;
        const state = await store.read();
        if (state.run.status === 'budget_exceeded') return 'budget-exceeded';
        if (TERMINAL_RUN_STATUSES.has(state.run.status)) return 'finished';
        await this.#tidy(state, staleMs);
        for (const blocker of state.blockers) {
          if (this.#resolving.size >= capacity) break;
          if (blocker.status !== 'open' || this.#resolving.has(blocker.id)) continue;
          this.#resolving.add(blocker.id);
          await this.#resolutions.submit({
            run: async () => {
              try {
                await this.#resolve(blocker);
              } catch (error) {
                this.#fatal ??= error;
                this.#abort.abort(error);
              } finally {
                this.#resolving.delete(blocker.id);
                wake.notify();
              }
            },
          });
        }
        if (this.#integration !== undefined) await this.#startIntegrations(state, this.#integration);
        if (this.#resolving.size === 0 && this.#integrating.size === 0 && allTasksFinished(state)) {
          try {
            await this.#integrate();
          } catch (error) {
            if (error instanceof BudgetExceededError) return 'budget-exceeded';
            if (this.#abort.signal.aborted) return 'interrupted';
            throw error;
          }
          return 'finished';
        }
        await wake.wait({
          sinceVersion: since,
          timeoutMs: config.orchestrator.coordination.check_interval_seconds * 1000,
          signal: this.#abort.signal,
        });
      }
      if (this.#fatal !== undefined) throw this.#fatal;
      return 'interrupted';
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#abort.abort();
      await this.#resolutions.join();
      this.#resolutions.close();
      await this.#integrations.join();
      this.#integrations.close();
      // Agents in this process learn at once that the run is over.
      wake.notify();
    }
  }

  /** Releases tasks of agents whose heartbeat went silent; fails tasks no live agent can take. */
  async #tidy(state: TeamState, staleMs: number): Promise<void> {
    const now = Date.now();
    const silent = Object.values(state.agents).filter(
      (agent) =>
        agent.status !== 'stopped' &&
        agent.id !== this.#context.config.manager.id &&
        agent.heartbeatAt !== null &&
        now - Date.parse(agent.heartbeatAt) > staleMs,
    );
    const orphans = orphanedTasks(state).filter((task) => task.status === 'ready' || task.status === 'pending');
    if (silent.length === 0 && orphans.length === 0) return;
    await this.#context.store.update((draft, context) => {
      for (const agent of silent) {
        const live = draft.agents[agent.id];
        if (live === undefined || live.status === 'stopped' || live.heartbeatAt !== agent.heartbeatAt) continue;
        for (const taskId of [...live.activeTasks]) {
          releaseTask({ state: draft, agentId: agent.id, taskId, reason: 'agent went silent', emit: context.emit });
        }
        live.status = 'stopped';
        live.stopReason = 'no heartbeat';
        context.emit({ type: 'agent-stop', agentId: agent.id, reason: 'no heartbeat' });
      }
      for (const task of orphanedTasks(draft)) {
        if (task.status !== 'ready' && task.status !== 'pending') continue;
        failTask({
          state: draft,
          agentId: this.#context.config.manager.id,
          taskId: task.id,
          reason: `no live agent has role ${task.role}`,
          now: context.now,
          emit: context.emit,
        });
      }
    });
    this.#context.wake.notify();
  }

  async #resolve(blocker: Blocker): Promise<void> {
    const { store, config } = this.#context;
    const managerId = config.manager.id;
    const taken = await store.update((draft) => {
      const live = draft.blockers.find((candidate) => candidate.id === blocker.id);
      if (live?.status !== 'open') return undefined;
      live.status = 'resolving';
      return structuredClone(draft);
    });
    if (taken === undefined) return;
    // A second loop on the same task means the first answer did not help: stop spending on it.
    const repeatedLoop =
      blocker.kind === 'loop' &&
      taken.blockers.some((other) => other.taskId === blocker.taskId && other.kind === 'loop' && other.status === 'resolved');
    try {
      const { resolution, settle } = repeatedLoop
        ? {
            resolution: { kind: 'fail' as const, answer: 'the agent kept repeating itself after a concrete instruction' },
            settle: undefined,
          }
        : await this.#manager.resolve({ state: taken, blocker, signal: this.#abort.signal });
      // The manager's spend and its resolution are one commit.
      await store.update((draft, context) => {
        settle?.(draft, context);
        applyResolution({ state: draft, blockerId: blocker.id, resolution, managerId, now: context.now, emit: context.emit });
        dispatchReady({ state: draft, config, now: context.now, emit: context.emit });
      });
    } catch (error) {
      if (error instanceof InvalidModelOutputError) {
        log.warn('manager could not resolve a blocker', { blockerId: blocker.id, problems: error.problems });
        await store.update((draft, context) =>
          applyResolution({
            state: draft,
            blockerId: blocker.id,
            resolution: { kind: 'fail', answer: `the manager's answer was invalid twice: ${error.problems.join('; ')}` },
            managerId,
            now: context.now,
            emit: context.emit,
          }),
        );
        return;
      }
      // Interrupted or out of budget: the blocker goes back to open for a resumed run.
      await store.update((draft) => {
        const live = draft.blockers.find((candidate) => candidate.id === blocker.id);
        if (live?.status === 'resolving') live.status = 'open';
      });
      if (!(error instanceof BudgetExceededError) && !this.#abort.signal.aborted) throw error;
    }
  }

  /** Starts the gates and merge of every task in review not already under way. */
  async #startIntegrations(state: TeamState, integration: TaskIntegration): Promise<void> {
    for (const task of tasksInReview(state)) {
      if (this.#integrating.has(task.id)) continue;
      this.#integrating.add(task.id);
      await this.#integrations.submit({
        run: async () => {
          try {
            await integration.integrate(task.id, this.#abort.signal);
          } catch (error) {
            // Out of budget or interrupted: the task stays in review for a resumed run.
            if (!(error instanceof BudgetExceededError) && !this.#abort.signal.aborted) {
              this.#fatal ??= error;
              this.#abort.abort(error);
            }
          } finally {
            this.#integrating.delete(task.id);
            this.#context.wake.notify();
          }
        },
      });
    }
  }

  async #integrate(): Promise<void> {
    const { store } = this.#context;
    const state = await store.update((draft, context) => {
      draft.run.status = 'integrating';
      draft.run.updatedAt = context.now;
      return structuredClone(draft);
    });
    let summary: string;
    try {
      const integration = await this.#manager.integrate({ state, signal: this.#abort.signal });
      summary = [
        integration.summary,
        ...(integration.risks.length === 0 ? [] : ['', 'Risks:', ...integration.risks.map((risk) => `- ${risk}`)]),
        ...(integration.followUps.length === 0 ? [] : ['', 'Follow-ups:', ...integration.followUps.map((item) => `- ${item}`)]),
      ].join('\n');
    } catch (error) {
      if (error instanceof BudgetExceededError || this.#abort.signal.aborted) {
        await store.update((draft) => {
          if (draft.run.status === 'integrating') draft.run.status = 'running';
        });
        throw error;
      }
      summary = `The integration summary could not be written: ${error instanceof Error ? error.message : String(error)}`;
    }
    await store.update((draft, context) => {
      const failed = draft.tasks.filter((task) => task.status !== 'done');
      draft.run.integrationSummary = summary;
      draft.run.status = failed.length === 0 ? 'done' : 'failed';
      draft.run.endReason =
        failed.length === 0
          ? 'all tasks done'
          : `${failed.length} task(s) not done: ${failed.map((t) => `${t.id} ${t.status}`).join(', ')}`;
      draft.run.endedAt = context.now;
      draft.run.updatedAt = context.now;
      context.emit({ type: 'run-end', runId: draft.run.id, status: draft.run.status, reason: draft.run.endReason });
    });
  }
}
