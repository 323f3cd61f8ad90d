import type { StoreLocation, TeamConfig } from '../../config/index.js';
import { composeGatePrompt, composeSystemPrompt } from '../../prompts/index.js';
import type { LlmProvider } from '../../providers/index.js';
import {
  BudgetExceededError,
  InvalidModelOutputError,
  RunCancelledError,
  SignalInterruptError,
  StorageError,
  UsageError,
} from '../../errors/index.js';
import { RESUMABLE_RUN_STATUSES, TERMINAL_RUN_STATUSES, type RunOptions, type TeamState } from '../../state/index.js';
import { join } from 'node:path';
import { AgentSupervisor } from './agent-processes.js';
import { Coordinator } from './coordinator.js';
import { Manager } from '../agents/manager.js';
import { openTeamContext, withTeamStore } from './open-team.js';
import { OwnershipLostError } from '../agents/fenced-store.js';
import { keepLease } from './run-lease.js';
import { holdLease, newRunOwner } from './run-owner.js';
import { configOfRun, designOption } from './run-design.js';
import { resumeCommand } from './resume-command.js';
import { readResumable, resumeRun, startNewRun } from './take-run.js';
import { readRunLedger } from './team-ledger.js';
import { RoleAgent } from '../agents/role-agent.js';
import { writeRunRecord, type RunFiles } from '../../report/index.js';
import { initialTeamState, newRunId } from './run-state.js';
import type { RunSummary } from '../../report/index.js';
import { applyPlan } from '../tasks/task-factory.js';
import { prepareWorkspace } from '../agents/task-workspace.js';
import { dispatchReady } from '../tasks/claim-task.js';
import type { TeamContext, TeamStore } from '../agents/team-context.js';
import { createProviderRegistry, type ProviderRegistry } from '../agents/provider-registry.js';
import { withSpan } from '../../observability/index.js';
import { withRunSpan } from './run-span.js';

/** How to run a team. Unset values come from the config. */
export interface RunTeamOptions {
  config: TeamConfig;
  /** The feature to build; required unless resuming. */
  feature?: string | undefined;
  resume?: boolean | undefined;
  /** Start a new run even though the last one did not finish (it is archived first). */
  force?: boolean | undefined;
  provider?: string | undefined;
  seed?: number | undefined;
  timeScale?: number | undefined;
  blockerRate?: number | undefined;
  /** Sim workspace runs: share of tasks whose first change the security gate fails. */
  gateFailureRate?: number | undefined;
  /** Sim only: plan exactly this many tasks. */
  planTasks?: number | null | undefined;
  budgetUsd?: number | null | undefined;
  /** Run each role agent as its own OS process. */
  processes?: boolean | undefined;
  /** Role agents that `agent-team worker` serves from elsewhere (another machine on the same store): this run does not start them. */
  remoteAgents?: readonly string[] | undefined;
  /** Working directory for agent processes (where the config was found). */
  cwd?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Called once the run exists, before planning (the CLI starts its progress view here). */
  onStart?: ((state: TeamState) => void) | undefined;
  /** A provider instance to use instead of creating one by name (tests, embedding). In-process only. */
  providerInstance?: LlmProvider | undefined;
  /** Record every call to this cassette (JSONL). */
  record?: string | undefined;
  /** Answer every call from this cassette instead of a provider. */
  replay?: string | undefined;
  /** A git repository the agents change, each task in its own worktree. */
  workspace?: string | undefined;
  /**
   * Stop once the manager's plan is stored: the run ends `interrupted` with the reason
   * PLANNED_END_REASON, and `resume` executes it (the HTTP service plans on one request, executes on another).
   */
  stopAfterPlan?: boolean | undefined;
  /** The clock of the run's store and of its SLA checks (tests pass a fake one); default: the system clock. */
  clock?: (() => Date) | undefined;
}

/** The end reason of a run stopped after its plan by `stopAfterPlan`. */
export const PLANNED_END_REASON = 'planned; execute it with agent-team run --resume';

/** What a finished (or stopped) run leaves. */
export interface RunTeamResult {
  runId: string;
  status: TeamState['run']['status'];
  files: RunFiles;
  summary: RunSummary;
}

/** The options a new run starts with: flags over config. */
function newRunOptions(options: RunTeamOptions, runId: string): RunOptions {
  const { config } = options;
  return {
    provider: options.providerInstance?.name ?? options.provider ?? config.orchestrator.provider.name,
    seed: options.seed ?? config.orchestrator.provider.seed,
    timeScale: options.timeScale ?? config.orchestrator.provider.time_scale,
    blockerRate: options.blockerRate ?? config.orchestrator.provider.blocker_rate,
    gateFailureRate: options.gateFailureRate ?? config.orchestrator.provider.gate_failure_rate,
    planTasks: options.planTasks ?? null,
    configFile: config.configFile,
    runDir: join(config.runsDir, runId),
    record: options.record ?? null,
    replay: options.replay ?? null,
    workspace: options.workspace ?? (config.orchestrator.workspace.enabled ? config.projectDir : null),
    ...designOption(config),
  };
}

/** The manager plans the feature (the `orchestrator.plan` span); a plan that never validates fails the run. */
function plan(context: TeamContext, manager: Manager, state: TeamState, signal: AbortSignal | undefined): Promise<void> {
  return withSpan('orchestrator.plan', {}, () => planRun(context, manager, state, signal));
}

async function planRun(context: TeamContext, manager: Manager, state: TeamState, signal: AbortSignal | undefined): Promise<void> {
  try {
    const planned = await manager.plan({ feature: state.run.feature, signal });
    await context.store.update((draft, update) => {
      applyPlan({ state: draft, tasks: planned.tasks, managerId: context.config.manager.id, now: update.now, emit: update.emit });
      dispatchReady({ state: draft, config: context.config, now: update.now, emit: update.emit });
    });
  } catch (error) {
    if (!(error instanceof InvalidModelOutputError)) throw error;
    await context.store.update((draft, update) => {
      draft.run.status = 'failed';
      draft.run.endReason = `planning failed: ${error.message}`;
      draft.run.endedAt = update.now;
      update.emit({ type: 'run-end', runId: draft.run.id, status: 'failed', reason: draft.run.endReason });
    });
  }
  context.wake.notify();
}

async function runAgents(context: TeamContext, options: RunTeamOptions, lease: string, signal: AbortSignal): Promise<void> {
  // One part failing for good (an agent whose disk refused the state, the coordinator's own error) stops the others at once.
  const stop = new AbortController();
  const follow = (): void => stop.abort(signal.reason);
  signal.addEventListener('abort', follow, { once: true });
  if (signal.aborted) follow();
  let fatal: unknown;
  const fail = (error: unknown): void => {
    fatal ??= error;
    stop.abort(error);
  };
  try {
    const remote = new Set(options.remoteAgents);
    const local = context.config.roster.filter((member) => !member.isManager && !remote.has(member.id)).map((member) => member.id);
    if (options.processes === true) {
      const supervisor = new AgentSupervisor({
        config: context.config,
        store: context.store,
        cwd: options.cwd ?? process.cwd(),
        lease,
        agentIds: local,
        onFatal: fail,
      });
      const coordinator = new Coordinator(context, new Manager(context), { supervised: local, remote: [...remote] });
      supervisor.start();
      try {
        await coordinator.run(stop.signal);
      } catch (error) {
        fail(error);
      } finally {
        // Agents exit by themselves once the run is over; on Ctrl-C or a failure they are asked to.
        if (stop.signal.aborted) await supervisor.stop();
        else await supervisor.finished();
      }
    } else {
      const coordinator = new Coordinator(context, new Manager(context), { remote: [...remote] });
      const agents = local.map((agentId) => new RoleAgent(context, agentId).run(stop.signal).catch(fail));
      await Promise.all([coordinator.run(stop.signal).catch(fail), ...agents]);
    }
  } finally {
    signal.removeEventListener('abort', follow);
  }
  if (fatal !== undefined) throw fatal;
}

/** Why a run stopped before its end, in the words `status` and the report show. */
function endReasonOf(cause: unknown, store: StoreLocation['kind']): string {
  const resume = resumeCommand(store);
  if (cause === undefined) return `interrupted; continue with ${resume}`;
  if (cause instanceof SignalInterruptError) return `interrupted: ${cause.message}; continue with ${resume}`;
  if (cause instanceof RunCancelledError) return cause.message;
  return `stopped by an error (${cause instanceof Error ? cause.message : String(cause)}); fix it, then ${resume}`;
}

/**
 * Runs a team on a feature end to end: the manager plans, role agents work and
 * raise blockers, the manager resolves them and integrates. Leaves the run's
 * record in its run directory whatever the outcome. Ctrl-C (signal) stops cleanly.
 */
export async function runTeam(options: RunTeamOptions): Promise<RunTeamResult> {
  let { config } = options;
  if (options.providerInstance !== undefined && options.processes === true) {
    throw new UsageError('A provider instance cannot be shared with agent processes; drop processes or providerInstance.');
  }
  const now = options.clock?.() ?? new Date();
  // A resumed run keeps the design it started with (its roster and tiers), whatever files this command loaded.
  const previous = options.resume === true ? await withTeamStore(config, (store) => readResumable({ config, store, now })) : undefined;
  if (previous !== undefined) config = configOfRun(config, previous);
  // Checked against the roster the run works with.
  checkRemoteAgents(config, options.remoteAgents);
  // Every prompt is composed before anything is written: a missing prompt file fails here, cleanly.
  for (const member of config.roster) composeSystemPrompt(config, member.id);
  const workspaceRun = options.workspace !== undefined || config.orchestrator.workspace.enabled || options.resume === true;
  if (workspaceRun) for (const gate of config.orchestrator.workspace.gates) composeGatePrompt(config, gate.name);
  const leaseMs = config.orchestrator.coordination.lease_seconds * 1000;
  // Providers are created before anything is written: a missing API key or cassette fails cleanly.
  let state: TeamState;
  let store: TeamStore;
  let providers: ProviderRegistry;
  if (previous !== undefined) {
    const runOptions = { ...previous.run.options, ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }) };
    providers = createProviderRegistry({ config, options: runOptions, override: options.providerInstance });
    if (runOptions.workspace !== null) await prepareWorkspace({ repo: runOptions.workspace, runId: previous.run.id, config });
    const owner = newRunOwner({ command: 'run --resume', now, leaseMs });
    ({ store, state } = await resumeRun({
      config,
      owner,
      now,
      budgetUsd: options.budgetUsd ?? null,
      timeScale: options.timeScale,
      clock: options.clock,
    }));
  } else {
    const feature = options.feature?.trim() ?? '';
    if (feature === '') throw new UsageError('A feature is required: agent-team run --feature "Add user authentication"');
    const runId = newRunId(now);
    const runOptions = newRunOptions(options, runId);
    providers = createProviderRegistry({ config, options: runOptions, override: options.providerInstance });
    // The repository is checked (a git checkout, nothing uncommitted) before anything is written.
    if (runOptions.workspace !== null) await prepareWorkspace({ repo: runOptions.workspace, runId, config });
    const owner = newRunOwner({ command: options.force === true ? 'run --force' : 'run', now, leaseMs });
    const fresh = initialTeamState({
      config,
      runId,
      feature,
      options: runOptions,
      simulated: providers.simulated,
      budgetUsd: options.budgetUsd ?? null,
      now: now.toISOString(),
      owner,
    });
    ({ store, state } = await startNewRun({ config, fresh, owner, force: options.force === true, now, clock: options.clock }));
  }
  const lease = state.run.owner?.lease ?? '';
  const held = holdLease(lease);
  try {
    return await withRunSpan({ state, resumed: options.resume === true }, () =>
      runOwned({ options, config, store, state, providers, lease, leaseMs }),
    );
  } finally {
    held.letGo();
    await store.close();
  }
}

/** The run from the moment this process owns it: plan, work, and record how it ended. */
async function runOwned(input: {
  options: RunTeamOptions;
  config: TeamConfig;
  store: TeamStore;
  state: TeamState;
  providers: ProviderRegistry;
  lease: string;
  leaseMs: number;
}): Promise<RunTeamResult> {
  const { options, config, store, providers, lease, leaseMs } = input;
  let { state } = input;
  const context = openTeamContext({ config, store, options: state.run.options, providers, clock: options.clock });
  options.onStart?.(state);
  const internal = new AbortController();
  const onAbort = (): void => internal.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // A stop asked before the run was taken (e.g. while it was being resumed) still stops it.
  if (options.signal?.aborted === true) onAbort();
  // Losing the run to another owner stops everything here at once; that owner decides what happens to the run.
  let lost: OwnershipLostError | undefined;
  // An unexpected error still leaves a valid, resumable state and the run's record (when the disk allows), then surfaces.
  let failure: unknown;
  const stopLease = keepLease({
    store,
    leaseMs,
    onLost: (error) => {
      if (error instanceof OwnershipLostError) lost = error;
      else failure ??= error;
      internal.abort(error);
    },
  });
  try {
    if (state.run.status === 'planning') {
      await plan(context, new Manager(context), state, internal.signal);
      state = await store.read();
    }
    const working = state.run.status === 'running' || state.run.status === 'integrating';
    if (working && options.stopAfterPlan !== true) {
      // The coordination loop and, in this process, the role agents: their spans are this one's children.
      await withSpan('orchestrator.dispatch', {}, () => runAgents(context, options, lease, internal.signal));
    }
  } catch (error) {
    if (error instanceof OwnershipLostError) lost ??= error;
    else if (!(error instanceof BudgetExceededError) && (!internal.signal.aborted || error instanceof StorageError)) failure ??= error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stopLease();
    context.wake.close();
  }
  if (lost !== undefined) throw lost;
  const final = await store.update((draft, update) => {
    if (!TERMINAL_RUN_STATUSES.has(draft.run.status)) {
      draft.run.status = 'interrupted';
      const planned = options.stopAfterPlan === true && failure === undefined && options.signal?.aborted !== true;
      draft.run.endReason = planned ? PLANNED_END_REASON : endReasonOf(failure ?? options.signal?.reason, config.store.kind);
    }
    if (RESUMABLE_RUN_STATUSES.has(draft.run.status)) {
      draft.run.endedAt = update.now;
      update.emit({ type: 'run-end', runId: draft.run.id, status: draft.run.status, reason: draft.run.endReason ?? draft.run.status });
    }
    // The run is let go: the next command may take it without waiting for the lease.
    draft.run.owner = null;
    return structuredClone(draft);
  });
  // The record is the run's snapshot in the format people read, whichever store held it live.
  // As stored (the copy an update returns still has the seq from before it), unless another command took the run since.
  const stored = await store.read();
  const recorded = stored.run.id === final.run.id && stored.run.owner === null ? stored : final;
  const record = await writeRunRecord({ config, state: recorded, ledger: await readRunLedger(config) });
  if (failure !== undefined) throw failure;
  return { runId: final.run.id, status: final.run.status, files: record.files, summary: record.summary };
}

/** Every remote agent is a role agent of the roster; a UsageError names the ones that are not. */
function checkRemoteAgents(config: TeamConfig, remoteAgents: readonly string[] | undefined): void {
  const roles = config.roster.filter((member) => !member.isManager).map((member) => member.id);
  const unknown = (remoteAgents ?? []).filter((id) => !roles.includes(id));
  if (unknown.length > 0) {
    throw new UsageError(
      `--remote-agents names ${unknown.map((id) => `"${id}"`).join(', ')}, which ${unknown.length === 1 ? 'is not a role agent' : 'are not role agents'} ` +
        `of the roster (role agents: ${roles.join(', ')}; the manager always runs in \`agent-team run\`).`,
    );
  }
}
