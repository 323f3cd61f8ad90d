import { BudgetExceededError } from '../../errors/index.js';
import { WorkerQueue } from '../../queue/index.js';
import { TERMINAL_RUN_STATUSES, type TeamState } from '../../state/index.js';
import { runWorkspace } from '../agents/task-workspace.js';
import { TaskIntegration, tasksInReview } from '../integration/task-integration.js';
import type { Manager } from '../agents/manager.js';
import { BEFORE_INTEGRATION, checkpointHolds } from '../tasks/checkpoints.js';
import { allTasksFinished } from '../tasks/scheduler.js';
import type { TeamContext } from '../agents/team-context.js';
import { heartbeatStaleMs } from '../agents/heartbeat.js';
import { askDueApprovals, enforceSlaNow } from './person-waits.js';
import { integrateRun } from './integrate-run.js';
import { resolveBlocker } from './resolve-blocker.js';
import { tidyTeam } from './tidy-team.js';

/** How the coordination loop ended. */
export type CoordinatorExit = 'finished' | 'interrupted' | 'budget-exceeded';

/**
 * The manager's side of a running team: resolves open blockers (up to the manager's
 * max_concurrent_tasks at once), releases tasks of silent agents, fails tasks no live
 * agent can take, asks a person at a manual run's checkpoints, takes back attempts past
 * the SLA, and integrates when every task has finished.
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

  // Agents run as supervised processes: the supervisor restarts silent ones, so tidying leaves them alone.
  readonly #supervised: ReadonlySet<string>;

  // Agents served by `agent-team worker` elsewhere: their roles' tasks wait for a worker rather than fail.
  readonly #remote: ReadonlySet<string>;

  constructor(context: TeamContext, manager: Manager, options: { supervised?: readonly string[]; remote?: readonly string[] } = {}) {
    this.#context = context;
    this.#supervised = new Set(options.supervised);
    this.#remote = new Set(options.remote);
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
    const staleMs = heartbeatStaleMs(config);
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
        await tidyTeam({ context: this.#context, state, staleMs, supervised: this.#supervised, remote: this.#remote });
        await askDueApprovals(this.#context, state);
        await enforceSlaNow(this.#context, state);
        for (const blocker of state.blockers) {
          if (this.#resolving.size >= capacity) break;
          if (blocker.status !== 'open' || this.#resolving.has(blocker.id)) continue;
          this.#resolving.add(blocker.id);
          await this.#resolutions.submit({
            run: async () => {
              try {
                await resolveBlocker({ context: this.#context, manager: this.#manager, blocker, signal: this.#abort.signal });
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
        const finished = this.#resolving.size === 0 && this.#integrating.size === 0 && allTasksFinished(state);
        // A manual run's before_integration checkpoint: the integration waits for a person's approval.
        if (finished && !checkpointHolds(state, BEFORE_INTEGRATION)) {
          try {
            await integrateRun({ context: this.#context, manager: this.#manager, signal: this.#abort.signal });
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
}
