import { AgentStoppedError } from '../../errors/index.js';
import { composeSystemPrompt } from '../../prompts/index.js';
import { WorkerQueue } from '../../queue/index.js';
import type { TaskGrant } from '../../state/index.js';
import { claimedTaskFromGrant, type ClaimedTask } from '../tasks/claim-task.js';
import { registerAgent, retireAgent } from './agent-lifecycle.js';
import type { AgentExitReason, AgentSession } from './agent-session.js';
import { startHeartbeat } from './heartbeat.js';
import { ModelCaller } from './model-caller.js';
import { type NextStep, startKey } from './next-work.js';
import { runWorkspace, type TaskWorkspace } from './task-workspace.js';
import type { TeamContext } from './team-context.js';
import { attemptTask } from './work-attempt.js';
import { nextStep } from './work-transitions.js';

/**
 * A role agent: wakes on state changes (or polls), claims ready tasks of its role,
 * works on them through its provider and reports done or blocked. This file is the
 * story; each step is its own file (next-work, work-attempt, commit-attempt, attempt-failure…).
 */
export class RoleAgent {
  readonly #context: TeamContext;
  readonly #agentId: string;
  readonly #caller: ModelCaller;
  // Aborts in-flight calls when the agent must stop (Ctrl-C, budget).
  readonly #abort = new AbortController();
  // Claimed tasks run as jobs of this queue: at most max_concurrent_tasks, each with the task timeout.
  readonly #jobs: WorkerQueue<void>;
  readonly #jobIds = new Set<string>();
  // Assignments already started (see startKey): a stale snapshot must not start one twice.
  readonly #started = new Set<string>();
  readonly #openWorktrees = new Map<string, TaskWorkspace>();
  #jobCount = 0;
  #iterations = 0;
  #session: AgentSession | undefined;
  #exit: AgentExitReason | undefined;
  // An unexpected error (state unreadable or unwritable, lock lost) in background work, rethrown by run().
  #fatal: unknown;

  readonly #systemPrompt: string;

  constructor(context: TeamContext, agentId: string) {
    this.#context = context;
    this.#agentId = agentId;
    this.#caller = new ModelCaller(context, agentId);
    // Composed once: a missing prompt file fails at start, and every call sends the same cacheable prefix.
    this.#systemPrompt = composeSystemPrompt(context.config, agentId).text;
    const member = context.config.roster.find((candidate) => candidate.id === agentId);
    this.#jobs = new WorkerQueue<void>({
      concurrency: member?.maxConcurrentTasks ?? 1,
      defaultTimeout: context.config.orchestrator.coordination.task_timeout_seconds * 1000,
    });
  }

  get #busy(): number {
    return this.#jobs.runningCount + this.#jobs.pendingCount;
  }

  /** Runs until the run ends, the signal aborts, or the agent reaches max_iterations. */
  async run(signal?: AbortSignal): Promise<AgentExitReason> {
    const { store, wake, config } = this.#context;
    const onAbort = (): void => this.#stop('interrupted');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) this.#stop('interrupted');
    const run = await registerAgent({ store, config, agentId: this.#agentId });
    this.#session = {
      context: this.#context,
      agentId: this.#agentId,
      caller: this.#caller,
      systemPrompt: this.#systemPrompt,
      runId: run.runId,
      workspace: run.workspaceRepo === null ? undefined : await runWorkspace({ repo: run.workspaceRepo, runId: run.runId }),
      openWorktrees: this.#openWorktrees,
      stopSignal: this.#abort.signal,
      exitReason: () => this.#exit,
      stop: (reason) => this.#stop(reason),
    };
    const stopHeartbeat = startHeartbeat({
      store,
      agentId: this.#agentId,
      intervalMs: config.orchestrator.coordination.heartbeat_seconds * 1000,
      // A disk that refuses the state ends the agent now, with the error naming the file.
      onFatal: (error) => this.#fail(error),
    });
    try {
      await this.#loop(this.#session);
    } finally {
      stopHeartbeat();
      signal?.removeEventListener('abort', onAbort);
      await this.#jobs[Symbol.asyncDispose]();
      // On a full or read-only disk this fails too; the first error is the one to report.
      await retireAgent({ store, agentId: this.#agentId, reason: this.#exit ?? 'stopped' }).catch((error: unknown) => this.#fail(error));
      wake.notify();
    }
    if (this.#fatal !== undefined) throw this.#fatal;
    return this.#exit ?? 'stopped';
  }

  /** Stops the agent because of an error that run() rethrows (the first one, if several). */
  #fail(error: unknown): void {
    this.#fatal ??= error;
    this.#stop('stopped');
  }

  #stop(reason: AgentExitReason): void {
    this.#exit ??= reason;
    this.#abort.abort(new AgentStoppedError({ agentId: this.#agentId, reason }));
    // Cancelling aborts each job's signal; the work itself releases its task.
    for (const id of this.#jobIds) this.#jobs.cancel(id);
    this.#context.wake.notify();
  }

  /** Wait for work, claim it, attempt it (as a job), until there is a reason to stop. */
  async #loop(session: AgentSession): Promise<void> {
    const { wake, config } = this.#context;
    const coordination = config.orchestrator.coordination;
    while (this.#exit === undefined) {
      const since = wake.version;
      const next = await this.#next();
      if (next.kind === 'exit') {
        this.#exit = next.reason;
        break;
      }
      if (next.kind === 'start') {
        for (const claimed of next.tasks) await this.#start(session, claimed);
        continue;
      }
      await wake.wait({ sinceVersion: since, timeoutMs: coordination.check_interval_seconds * 1000, signal: this.#abort.signal });
    }
  }

  /** What to do next, with the claim it leads to made (see nextStep). */
  #next(): Promise<NextStep<ClaimedTask>> {
    const { store, wake, config } = this.#context;
    return nextStep({
      store,
      config,
      agentId: this.#agentId,
      started: this.#started,
      iterations: this.#iterations,
      maxIterations: config.orchestrator.coordination.max_iterations,
      busy: this.#busy,
      // Other agents of this process look again: the claim may have changed what they can take.
      onClaimInUpdate: () => wake.notify(),
    });
  }

  /** Runs an attempt at a claimed task as a job of this agent's queue, unless this assignment was started already. */
  async #start(session: AgentSession, claimed: ClaimedTask): Promise<void> {
    const { wake, config } = this.#context;
    const key = startKey(claimed.task);
    if (this.#started.has(key)) return;
    this.#started.add(key);
    this.#iterations += 1;
    this.#jobCount += 1;
    const id = `${claimed.task.id}#${this.#jobCount}`;
    this.#jobIds.add(id);
    await this.#jobs.submit({
      id,
      run: async ({ signal }) => {
        let handed: readonly TaskGrant[] = [];
        try {
          handed = await attemptTask({ session, claimed, signal });
        } catch (error) {
          this.#fail(error);
        } finally {
          this.#jobIds.delete(id);
          wake.notify();
        }
        // What the report's commit handed to this agent starts now, as the next read would start it.
        for (const grant of handed) {
          if (this.#exit !== undefined || this.#iterations >= config.orchestrator.coordination.max_iterations) break;
          await this.#start(session, claimedTaskFromGrant({ config, agentId: this.#agentId, grant }));
        }
      },
    });
  }
}
