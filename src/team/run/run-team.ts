import type { TeamConfig } from '../../config/index.js';
import { composeGatePrompt, composeSystemPrompt } from '../../prompts/index.js';
import type { LlmProvider } from '../../providers/index.js';
import { AgentTeamError, InvalidModelOutputError, BudgetExceededError, UsageError } from '../../errors/index.js';
import { RESUMABLE_RUN_STATUSES, resetLedger, TERMINAL_RUN_STATUSES, type RunOptions, type TeamState } from '../../state/index.js';
import { join } from 'node:path';
import { startAgentProcesses, superviseAgentProcesses } from './agent-processes.js';
import { Coordinator } from './coordinator.js';
import { Manager } from '../agents/manager.js';
import { openTeamContext, openTeamStore } from './open-team.js';
import { RoleAgent } from '../agents/role-agent.js';
import { createRunDirectory, writeRunRecord, type RunFiles } from '../../report/index.js';
import { initialTeamState, newRunId, prepareResume } from './run-state.js';
import type { RunSummary } from '../../report/index.js';
import { applyPlan } from '../tasks/task-factory.js';
import { prepareWorkspace } from '../agents/task-workspace.js';
import { dispatchReady } from '../tasks/claim-task.js';
import type { TeamContext, TeamStore } from '../agents/team-context.js';
import { createProviderRegistry, type ProviderRegistry } from '../agents/provider-registry.js';

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
}

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
  };
}

async function startRun(input: {
  options: RunTeamOptions;
  store: TeamStore;
  runOptions: RunOptions;
  runId: string;
  simulated: boolean;
  now: Date;
}): Promise<TeamState> {
  const { options, store, runOptions, runId, now } = input;
  const { config } = options;
  const feature = options.feature?.trim() ?? '';
  if (feature === '') throw new UsageError('A feature is required: agent-team run --feature "Add user authentication"');
  if (await store.exists()) {
    const previous = await store.read();
    if (!TERMINAL_RUN_STATUSES.has(previous.run.status) || RESUMABLE_RUN_STATUSES.has(previous.run.status)) {
      if (options.force !== true) {
        throw new AgentTeamError(
          'run_unfinished',
          `Run ${previous.run.id} in ${config.stateFile} is ${previous.run.status}. ` +
            'Continue it with `agent-team run --resume`, or start over with `--force` (its record stays in ' +
            `${previous.run.options.runDir}).`,
          { exitCode: 2 },
        );
      }
    }
    // Keep the previous run's record before its live files are replaced.
    await writeRunRecord({ config, state: previous });
  }
  const provider = runOptions.provider;
  await createRunDirectory(runOptions.runDir);
  await resetLedger(config.ledgerFile);
  const fresh = initialTeamState({
    config,
    runId,
    feature,
    options: runOptions,
    simulated: input.simulated,
    budgetUsd: options.budgetUsd ?? null,
    now: now.toISOString(),
  });
  // The first write of a project creates the state file from `fresh`.
  return openTeamStore(config, () => structuredClone(fresh)).update((state, context) => {
    Object.assign(state, fresh);
    context.emit({ type: 'run-start', runId, feature, provider, seed: runOptions.seed, simulated: fresh.run.simulated });
    return structuredClone(state);
  });
}

async function readResumable(options: RunTeamOptions, store: TeamStore): Promise<TeamState> {
  if (!(await store.exists())) {
    throw new UsageError(`Nothing to resume: ${options.config.stateFile} does not exist. Start a run with agent-team run --feature "…".`);
  }
  const previous = await store.read();
  if (previous.run.status === 'done' || previous.run.status === 'failed') {
    throw new UsageError(
      `Run ${previous.run.id} already ended (${previous.run.status}); start a new one with agent-team run --feature "…".`,
    );
  }
  return previous;
}

async function resumeRun(options: RunTeamOptions, store: TeamStore, previous: TeamState): Promise<TeamState> {
  await createRunDirectory(previous.run.options.runDir);
  return store.update((state, context) => {
    prepareResume({ state, budgetUsd: options.budgetUsd ?? null, now: context.now, emit: context.emit });
    // Pacing may change on resume; what decides the answers (provider, seed, rates) may not.
    if (options.timeScale !== undefined) state.run.options.timeScale = options.timeScale;
    return structuredClone(state);
  });
}

async function plan(context: TeamContext, manager: Manager, state: TeamState, signal: AbortSignal | undefined): Promise<void> {
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

async function runAgents(context: TeamContext, options: RunTeamOptions, signal: AbortSignal): Promise<void> {
  const coordinator = new Coordinator(context, new Manager(context));
  if (options.processes === true) {
    const processes = startAgentProcesses({ config: context.config, store: context.store, cwd: options.cwd ?? process.cwd() });
    await superviseAgentProcesses({ processes, signal, coordinate: (stop) => coordinator.run(stop) });
    return;
  }
  const agents = context.config.roster.filter((member) => !member.isManager).map((member) => new RoleAgent(context, member.id).run(signal));
  const results = await Promise.allSettled([coordinator.run(signal), ...agents]);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/**
 * Runs a team on a feature end to end: the manager plans, role agents work and
 * raise blockers, the manager resolves them and integrates. Leaves the run's
 * record in its run directory whatever the outcome. Ctrl-C (signal) stops cleanly.
 */
export async function runTeam(options: RunTeamOptions): Promise<RunTeamResult> {
  const { config } = options;
  if (options.providerInstance !== undefined && options.processes === true) {
    throw new UsageError('A provider instance cannot be shared with agent processes; drop processes or providerInstance.');
  }
  // Every prompt is composed before anything is written: a missing prompt file fails here, cleanly.
  for (const member of config.roster) composeSystemPrompt(config, member.id);
  const workspaceRun = options.workspace !== undefined || config.orchestrator.workspace.enabled || options.resume === true;
  if (workspaceRun) for (const gate of config.orchestrator.workspace.gates) composeGatePrompt(config, gate.name);
  const store = openTeamStore(config);
  // Providers are created before anything is written: a missing API key or cassette fails cleanly.
  let state: TeamState;
  let providers: ProviderRegistry;
  if (options.resume === true) {
    const previous = await readResumable(options, store);
    const runOptions = { ...previous.run.options, ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }) };
    providers = createProviderRegistry({ config, options: runOptions, override: options.providerInstance });
    if (runOptions.workspace !== null) await prepareWorkspace({ repo: runOptions.workspace, runId: previous.run.id, config });
    state = await resumeRun(options, store, previous);
  } else {
    const now = new Date();
    const runId = newRunId(now);
    const runOptions = newRunOptions(options, runId);
    providers = createProviderRegistry({ config, options: runOptions, override: options.providerInstance });
    // The repository is checked (a git checkout, nothing uncommitted) before anything is written.
    if (runOptions.workspace !== null) await prepareWorkspace({ repo: runOptions.workspace, runId, config });
    state = await startRun({ options, store, runOptions, runId, simulated: providers.simulated, now });
  }
  const context = openTeamContext({ config, store, options: state.run.options, providers });
  options.onStart?.(state);
  const internal = new AbortController();
  const onAbort = (): void => internal.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // An unexpected error still leaves a valid, resumable state and the run's record, then surfaces.
  let failure: unknown;
  try {
    if (state.run.status === 'planning') {
      await plan(context, new Manager(context), state, internal.signal);
      state = await store.read();
    }
    if (state.run.status === 'running' || state.run.status === 'integrating') await runAgents(context, options, internal.signal);
  } catch (error) {
    if (!(error instanceof BudgetExceededError) && !internal.signal.aborted) failure = error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    context.wake.close();
  }
  const final = await store.update((draft, update) => {
    if (!TERMINAL_RUN_STATUSES.has(draft.run.status)) {
      draft.run.status = 'interrupted';
      draft.run.endReason =
        failure === undefined
          ? 'interrupted; continue with agent-team run --resume'
          : `stopped by an error (${failure instanceof Error ? failure.message : String(failure)}); fix it, then agent-team run --resume`;
    }
    if (RESUMABLE_RUN_STATUSES.has(draft.run.status)) {
      draft.run.endedAt = update.now;
      update.emit({ type: 'run-end', runId: draft.run.id, status: draft.run.status, reason: draft.run.endReason ?? draft.run.status });
    }
    return structuredClone(draft);
  });
  const record = await writeRunRecord({ config, state: final });
  if (failure !== undefined) throw failure;
  return { runId: final.run.id, status: final.run.status, files: record.files, summary: record.summary };
}
