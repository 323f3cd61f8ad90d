import { AgentTeamError, BudgetExceededError } from '../../errors/index.js';
import { getLogger } from '../../observability/index.js';
import { composeSystemPrompt, composeTaskMessage } from '../../prompts/index.js';
import { WorkerQueue } from '../../queue/index.js';
import { askStructured, type LlmRequest, type SimWorkContext } from '../../providers/index.js';
import { TERMINAL_RUN_STATUSES, type LedgerEvent, type TeamState, type UpdateContext } from '../../state/index.js';
import { workReportSchema, type WorkReport } from '../tasks/answer-schemas.js';
import { claimTask, claimedTaskFrom, dispatchReady, type ClaimedTask } from '../tasks/claim-task.js';
import { nextTaskFor } from '../tasks/scheduler.js';
import { ModelCaller } from './model-caller.js';
import { applyWorkReport, releaseTask, retryOrFail } from '../tasks/report-result.js';
import type { TeamContext } from './team-context.js';
import { callStructured } from './structured-call.js';
import { runToolLoop } from './tool-loop.js';
import { openTaskWorkspace, runWorkspace, type RunWorkspace, type TaskWorkspace } from './task-workspace.js';
import { gatesFor } from './gate-review.js';
import { normalizeOutput } from '../tasks/work-context.js';

const log = getLogger('team:role-agent');

/** One assignment of a task: a release and a new claim give a new key. */
function startKey(task: { id: string; claimedAt: string | null; attempts: number; iterations: number }): string {
  return `${task.id}|${task.claimedAt ?? ''}|${task.attempts}|${task.iterations}`;
}

/** Tells the agent that its worktree already holds an earlier attempt's uncommitted work. */
function withPartialWorkNote(request: LlmRequest): LlmRequest {
  const note =
    '\n\n## Work already in your worktree\nAn earlier attempt on this task stopped before it finished; its uncommitted changes are in your files. ' +
    'Look at them (list_files, read_file) and continue from them rather than starting over.';
  const [first, ...rest] = request.messages;
  if (first?.role !== 'user') return request;
  return { ...request, messages: [{ ...first, content: first.content + note }, ...rest] };
}

/** Why a role agent stopped. */
export type AgentExitReason = 'run-finished' | 'interrupted' | 'max-iterations' | 'budget-exceeded' | 'stopped';

/**
 * A role agent: wakes on state changes (or polls), claims ready tasks of its role,
 * works on them through its provider and reports done or blocked.
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
  #jobCount = 0;
  #iterations = 0;
  #runId = '';
  #workspaceRepo: string | null = null;
  #workspace: RunWorkspace | undefined;
  // Worktrees of attempts under way, so a stopped attempt can save its partial work.
  readonly #openWorktrees = new Map<string, TaskWorkspace>();
  #exit: AgentExitReason | undefined;
  // An unexpected error (state unreadable, lock lost) in background work, rethrown by run().
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
    const coordination = config.orchestrator.coordination;
    const onAbort = (): void => this.#stop('interrupted');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) this.#stop('interrupted');
    await store.update((state, context) => {
      const agent = state.agents[this.#agentId];
      if (agent === undefined) throw new AgentTeamError('agent_unknown', `agent ${this.#agentId} is not in the run's roster`);
      agent.status = 'idle';
      agent.pid = process.pid;
      agent.heartbeatAt = context.now;
      agent.stopReason = null;
      this.#runId = state.run.id;
      this.#workspaceRepo = state.run.options.workspace;
      context.emit({ type: 'agent-start', agentId: this.#agentId, pid: process.pid });
      dispatchReady({ state, config: this.#context.config, now: context.now, emit: context.emit });
    });
    if (this.#workspaceRepo !== null) this.#workspace = await runWorkspace({ repo: this.#workspaceRepo, runId: this.#runId });
    const heartbeat = setInterval(() => {
      store
        .update((state, context) => {
          const agent = state.agents[this.#agentId];
          if (agent !== undefined) agent.heartbeatAt = context.now;
        })
        .catch((error: unknown) => log.warn('heartbeat failed', { agentId: this.#agentId, error: String(error) }));
    }, coordination.heartbeat_seconds * 1000);
    heartbeat.unref();
    try {
      await this.#loop();
    } finally {
      clearInterval(heartbeat);
      signal?.removeEventListener('abort', onAbort);
      await this.#jobs[Symbol.asyncDispose]();
      const reason = this.#exit ?? 'stopped';
      await store.update((state, context) => {
        const agent = state.agents[this.#agentId];
        if (agent === undefined) return;
        agent.status = 'stopped';
        // Work handed to this agent that it never started goes back to ready for the others.
        for (const taskId of agent.activeTasks)
          releaseTask({ state, agentId: this.#agentId, taskId, reason: `agent stopped (${reason})`, emit: context.emit });
        agent.activeTasks = [];
        agent.stopReason = reason;
        context.emit({ type: 'agent-stop', agentId: this.#agentId, reason });
      });
      wake.notify();
    }
    if (this.#fatal !== undefined) throw this.#fatal;
    return this.#exit ?? 'stopped';
  }

  #stop(reason: AgentExitReason): void {
    this.#exit ??= reason;
    this.#abort.abort(new Error(reason));
    // Cancelling aborts each job's signal; the work itself releases its task.
    for (const id of this.#jobIds) this.#jobs.cancel(id);
    this.#context.wake.notify();
  }

  async #loop(): Promise<void> {
    const { store, wake, config } = this.#context;
    const coordination = config.orchestrator.coordination;
    while (this.#exit === undefined) {
      const since = wake.version;
      const state = await store.read();
      if (TERMINAL_RUN_STATUSES.has(state.run.status)) {
        this.#exit = state.run.status === 'budget_exceeded' ? 'budget-exceeded' : 'run-finished';
        break;
      }
      if (state.agents[this.#agentId]?.status === 'stopped' && this.#busy === 0) {
        this.#exit = 'stopped';
        break;
      }
      if (this.#iterations >= coordination.max_iterations) {
        if (this.#busy === 0) {
          this.#exit = 'max-iterations';
          break;
        }
      } else {
        // Tasks handed to this agent in the commit that made them ready.
        let started = false;
        for (const task of state.tasks) {
          if (task.status !== 'in_progress' || task.assignee !== this.#agentId || this.#started.has(startKey(task))) continue;
          await this.#start(claimedTaskFrom({ state, config, agentId: this.#agentId, task }));
          started = true;
        }
        if (started) continue;
        if (state.run.status === 'running' && nextTaskFor(state, this.#agentId) !== undefined) {
          // Only take the lock when the snapshot shows something to claim; the claim re-checks under it.
          const claimed = await store.update((draft, context) =>
            claimTask({ state: draft, agentId: this.#agentId, config, now: context.now, emit: context.emit }),
          );
          if (claimed !== undefined) {
            wake.notify();
            await this.#start(claimed);
            continue;
          }
        }
      }
      await wake.wait({ sinceVersion: since, timeoutMs: coordination.check_interval_seconds * 1000, signal: this.#abort.signal });
    }
  }

  /** Runs a claimed task as a job of this agent's queue. */
  async #start(claimed: ClaimedTask): Promise<void> {
    const { wake } = this.#context;
    this.#started.add(startKey(claimed.task));
    this.#iterations += 1;
    this.#jobCount += 1;
    const id = `${claimed.task.id}#${this.#jobCount}`;
    this.#jobIds.add(id);
    await this.#jobs.submit({
      id,
      run: async ({ signal }) => {
        try {
          await this.#work(claimed, signal);
        } catch (error) {
          this.#fatal ??= error;
          this.#stop('stopped');
        } finally {
          this.#jobIds.delete(id);
          wake.notify();
        }
      },
    });
  }

  async #work(claimed: ClaimedTask, signal: AbortSignal): Promise<void> {
    const { store, config, wake } = this.#context;
    const { task } = claimed;
    const member = config.roster.find((candidate) => candidate.id === this.#agentId);
    if (member === undefined) throw new Error(`agent ${this.#agentId} missing from roster`);
    const simContext: SimWorkContext = {
      task: {
        id: task.id,
        title: task.title,
        description: task.description,
        role: task.role,
        files: task.files,
        complexity: task.complexity,
      },
      attempt: task.attempts,
      resolutions: claimed.resolutions.map((resolution) => resolution.resolution),
      planTaskIds: claimed.planTaskIds,
      dependencyTitles: claimed.dependencies.map((dependency) => `${dependency.id} ${dependency.title}`),
      ...(this.#workspace === undefined ? {} : { gateFeedback: claimed.gateFeedback.flatMap((item) => item.reasons) }),
    };
    const request: LlmRequest = {
      model: claimed.model,
      system: this.#systemPrompt,
      messages: [
        {
          role: 'user',
          content: composeTaskMessage({
            task,
            dependencies: claimed.dependencies,
            resolutions: claimed.resolutions,
            gateFeedback: claimed.gateFeedback,
          }),
        },
      ],
      maxTokens: member.roleConfig.max_tokens,
      cacheSystemPrompt: true,
      metadata: { agentId: this.#agentId, role: member.role, purpose: 'work', taskId: task.id, context: { ...simContext } },
    };
    try {
      if (this.#workspace !== undefined) {
        await this.#workInWorktree({ claimed, request, signal, workspace: this.#workspace });
        return;
      }
      const { value, settle } = await callStructured({
        caller: this.#caller,
        request,
        schema: workReportSchema,
        what: 'task report',
        signal,
        deferSettle: true,
      });
      // The call's spend and its report are one commit.
      await store
        .update((draft, context) => {
          settle?.(draft, context);
          this.#applyReport({ state: draft, context, taskId: task.id, report: value });
        })
        .catch(async (error: unknown) => {
          // The report could not be applied; the spend must still be recorded.
          if (settle !== undefined) await this.#caller.settle(settle);
          throw error;
        });
    } catch (error) {
      // The queue aborts a job that outlives the task timeout with a TimeoutError.
      const timedOut = signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
      await this.#handleFailure(task.id, error, timedOut);
    } finally {
      wake.notify();
    }
  }

  /**
   * Applies a report inside an update (loop detection on `normalized`, by default the
   * report itself; to review with `review`), then hands out what became ready.
   */
  #applyReport(input: {
    state: TeamState;
    context: UpdateContext<LedgerEvent>;
    taskId: string;
    report: WorkReport;
    normalized?: string;
    review?: readonly string[] | undefined;
  }): void {
    const { config } = this.#context;
    const { state, context } = input;
    applyWorkReport({
      state,
      agentId: this.#agentId,
      taskId: input.taskId,
      report: input.report,
      normalized: input.normalized ?? normalizeOutput(input.report),
      managerId: config.manager.id,
      now: context.now,
      emit: context.emit,
      review: input.review,
    });
    dispatchReady({ state, config, now: context.now, emit: context.emit });
  }

  /**
   * The task in its own worktree: a tool loop with the file tools, then a commit of
   * what changed. A done task goes to review (gates, then merge); a stopped attempt
   * keeps its partial work on a `wip/` branch and its worktree.
   */
  async #workInWorktree(input: { claimed: ClaimedTask; request: LlmRequest; signal: AbortSignal; workspace: RunWorkspace }): Promise<void> {
    const { store, config, wake } = this.#context;
    const { task } = input.claimed;
    const settings = config.orchestrator.workspace;
    const taskWorkspace = await openTaskWorkspace({
      config,
      workspace: input.workspace,
      runId: this.#runId,
      agentId: this.#agentId,
      taskId: task.id,
      dependencyBranches: input.claimed.dependencyBranches,
      signal: input.signal,
    });
    this.#openWorktrees.set(task.id, taskWorkspace);
    if (taskWorkspace.hasPartialWork) {
      log.info('continuing from partial work', { agentId: this.#agentId, taskId: task.id, restoredWip: taskWorkspace.restoredWip });
    }
    await taskWorkspace.status({ status: 'working', progress: 0 });
    const loop = (request: LlmRequest, maxSteps: number): ReturnType<typeof runToolLoop> =>
      runToolLoop({
        caller: this.#caller,
        request: { ...request, tools: taskWorkspace.tools },
        execute: async (call) => taskWorkspace.execute(call, input.signal),
        maxSteps,
        signal: input.signal,
        onStep: (step) =>
          taskWorkspace.status({ status: 'working', progress: Math.min(90, Math.round((step / settings.max_steps) * 100)) }),
      });
    const request: LlmRequest = taskWorkspace.hasPartialWork ? withPartialWorkNote(input.request) : input.request;
    let firstSteps = 0;
    const { value: report } = await askStructured({
      request,
      schema: workReportSchema,
      what: 'task report',
      // One repair, as for answers without tools: the files stay as they are, only the report is asked again.
      call: async (attempt) => {
        const repair = attempt.metadata.repair === true;
        const result = await loop(attempt, repair ? Math.max(1, settings.max_steps - firstSteps) : settings.max_steps);
        if (!repair) firstSteps = result.steps;
        return { ...result.response, messages: result.messages };
      },
      wording: { rejected: 'report' },
    });
    const committed = report.status === 'done' ? await taskWorkspace.commit(`${task.title}`) : undefined;
    const gates = committed === undefined ? [] : gatesFor(settings.gates, task, committed.files).map((gate) => gate.name);
    await store.update((draft, context) => {
      // What changed is what git says, not what the model claims.
      const finalReport = committed === undefined || report.status !== 'done' ? report : { ...report, filesChanged: committed.files };
      const live = draft.tasks.find((candidate) => candidate.id === task.id);
      if (live !== undefined && committed !== undefined) {
        live.branch = taskWorkspace.branch;
        live.commit = committed.commit ?? live.commit;
        context.emit({
          type: 'task-commit',
          agentId: this.#agentId,
          taskId: task.id,
          branch: taskWorkspace.branch,
          commit: committed.commit,
          files: committed.files,
        });
      }
      this.#applyReport({
        state: draft,
        context,
        taskId: task.id,
        report: finalReport,
        normalized: normalizeOutput(report),
        review: committed === undefined ? undefined : gates,
      });
    });
    this.#openWorktrees.delete(task.id);
    if (committed !== undefined)
      await taskWorkspace.status({ status: 'done', progress: 100, filesChanged: committed.files, commit: committed.commit });
    else await taskWorkspace.status({ status: 'working', progress: 0 });
    wake.notify();
  }

  /** Saves the uncommitted work of a stopped attempt on `wip/<run>/<task>`, and says so in the state. */
  async #saveWip(taskId: string, reason: string, status: 'timeout' | 'failed' | 'stopped'): Promise<void> {
    const taskWorkspace = this.#openWorktrees.get(taskId);
    if (taskWorkspace === undefined) return;
    this.#openWorktrees.delete(taskId);
    try {
      const saved = await taskWorkspace.saveWip();
      await taskWorkspace.status({ status, progress: 0, commit: saved?.commit ?? null });
      if (saved === null) return;
      await this.#context.store.update((draft, context) => {
        const live = draft.tasks.find((candidate) => candidate.id === taskId);
        if (live !== undefined) live.wip = saved.branch;
        context.emit({ type: 'task-wip', agentId: this.#agentId, taskId, branch: saved.branch, commit: saved.commit, reason });
      });
    } catch (error) {
      log.warn('could not save partial work', { agentId: this.#agentId, taskId, error: String(error) });
    }
  }

  async #handleFailure(taskId: string, error: unknown, timedOut: boolean): Promise<void> {
    const { store, config } = this.#context;
    if (error instanceof BudgetExceededError) {
      this.#stop('budget-exceeded');
      await this.#saveWip(taskId, 'budget exceeded', 'stopped');
      await store.update((draft, context) =>
        releaseTask({ state: draft, agentId: this.#agentId, taskId, reason: 'budget exceeded', emit: context.emit }),
      );
      return;
    }
    if (this.#abort.signal.aborted && !timedOut) {
      await this.#saveWip(taskId, this.#exit ?? 'interrupted', 'stopped');
      await store.update((draft, context) =>
        releaseTask({ state: draft, agentId: this.#agentId, taskId, reason: this.#exit ?? 'interrupted', emit: context.emit }),
      );
      return;
    }
    const reason = timedOut
      ? `no answer within ${config.orchestrator.coordination.task_timeout_seconds} s`
      : error instanceof Error
        ? error.message
        : String(error);
    log.warn('task attempt failed', { agentId: this.#agentId, taskId, reason });
    await this.#saveWip(taskId, timedOut ? 'timed out' : 'attempt failed', timedOut ? 'timeout' : 'failed');
    await store.update((draft, context) =>
      retryOrFail({
        state: draft,
        agentId: this.#agentId,
        taskId,
        reason,
        maxAttempts: config.orchestrator.coordination.max_attempts,
        now: context.now,
        emit: context.emit,
      }),
    );
  }
}
