/**
 * Builds a TeamContext over real files for team tests: a temp project, a real
 * TeamConfig, a real FileStore holding a fresh run, a WakeSignal and a given
 * provider. Also seeds plans, runs the team in process and reads the ledger.
 */
import { afterEach, beforeAll, vi } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTeamConfig, type TeamConfig } from '../../src/config/index.js';
import { countTokens, type LlmProvider } from '../../src/providers/index.js';
import { readLedger, type LedgerEntry, type LedgerEvent, type RunOptions, type TeamState } from '../../src/state/index.js';
import type { PlannedTask } from '../../src/team/tasks/answer-schemas.js';
import { Coordinator, type CoordinatorExit } from '../../src/team/run/coordinator.js';
import { Manager } from '../../src/team/agents/manager.js';
import { openTeamStore } from '../../src/team/index.js';
import { RoleAgent } from '../../src/team/agents/role-agent.js';
import type { AgentExitReason } from '../../src/team/agents/agent-session.js';
import { initialTeamState } from '../../src/team/run/run-state.js';
import { applyPlan } from '../../src/team/tasks/task-factory.js';
import type { TeamContext, TeamStore } from '../../src/team/agents/team-context.js';
import { WakeSignal } from '../../src/team/agents/wake-signal.js';
import { createProviderRegistry } from '../../src/team/agents/provider-registry.js';
import { contextWindowTable, priceTable } from '../../src/cost/index.js';
import { createScriptedProvider, type ScriptedProvider } from './scripted-provider.js';
import { testRunOptions } from './running-state.js';

/** The roster of the built-in default team, as `orchestrator-config.json` spells it. */
export const DEFAULT_ROSTER: readonly { id: string; role: string; max_concurrent_tasks: number }[] = [
  { id: 'manager', role: 'team_manager', max_concurrent_tasks: 10 },
  { id: 'backend-dev', role: 'backend_developer', max_concurrent_tasks: 1 },
  { id: 'frontend-dev', role: 'frontend_developer', max_concurrent_tasks: 1 },
  { id: 'qa-tester', role: 'qa_tester', max_concurrent_tasks: 1 },
  { id: 'reviewer', role: 'reviewer', max_concurrent_tasks: 1 },
];

/** A temp project with a fresh run in it. */
export interface TeamFixture {
  readonly dir: string;
  readonly config: TeamConfig;
  readonly store: TeamStore;
  readonly wake: WakeSignal;
  readonly provider: LlmProvider;
  readonly context: TeamContext;
  /** Aborted by `cleanup()`, so nothing a test started outlives it. */
  readonly signal: AbortSignal;
  /** Aborts what still runs, stops watching the store and removes the temp project. */
  cleanup(): Promise<void>;
}

/** Options of `createTeamFixture`. */
export interface TeamFixtureOptions {
  provider: LlmProvider;
  /**
   * Written to `orchestrator-config.json` in the temp project (`agents` defaults to
   * DEFAULT_ROSTER). Without it the built-in default team is loaded.
   */
  orchestrator?: Record<string, unknown> | undefined;
  feature?: string | undefined;
  /** The run's USD limit; null keeps the config's `budget.max_usd`. */
  budgetUsd?: number | null | undefined;
  /** Run options over the defaults (seed 1, time scale 0, blocker rate 0). */
  options?: Partial<RunOptions> | undefined;
  /** Run status to start in (default `planning`, as a new run does). */
  status?: TeamState['run']['status'] | undefined;
  /** Wraps the store the context uses (e.g. to count updates). */
  wrapStore?: ((store: TeamStore) => TeamStore) | undefined;
  /** Builds the context's WakeSignal (e.g. a recording subclass). */
  createWake?: ((store: TeamStore) => WakeSignal) | undefined;
}

/** Creates a temp project, loads its TeamConfig and writes the initial state through the real FileStore. */
export async function createTeamFixture(input: TeamFixtureOptions): Promise<TeamFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-team-test-'));
  try {
    if (input.orchestrator !== undefined) {
      const file = { agents: DEFAULT_ROSTER, ...input.orchestrator };
      await writeFile(join(dir, 'orchestrator-config.json'), `${JSON.stringify(file, null, 2)}\n`);
    }
    const config = loadTeamConfig({ cwd: dir });
    const runId = 'test-run';
    const options = testRunOptions({ config, runId, overrides: { provider: input.provider.name, ...input.options } });
    const initial = initialTeamState({
      config,
      runId,
      feature: input.feature ?? 'Add user authentication with email and password',
      options,
      simulated: input.provider.simulated,
      budgetUsd: input.budgetUsd ?? null,
      now: new Date().toISOString(),
    });
    initial.run.status = input.status ?? 'planning';
    const fileStore = openTeamStore(config, () => structuredClone(initial));
    await fileStore.update((state, context) => {
      context.emit({
        type: 'run-start',
        runId,
        feature: state.run.feature,
        provider: options.provider,
        seed: options.seed,
        simulated: state.run.simulated,
      });
    });
    const store = input.wrapStore?.(fileStore) ?? fileStore;
    const wake = input.createWake?.(store) ?? new WakeSignal(store);
    const abort = new AbortController();
    const context: TeamContext = {
      config,
      store,
      providers: createProviderRegistry({ config, options, override: input.provider }),
      prices: priceTable(config.orchestrator.prices),
      contextWindows: contextWindowTable(config.orchestrator.prices),
      wake,
      runDir: options.runDir,
    };
    return {
      dir,
      config,
      store,
      wake,
      provider: input.provider,
      context,
      signal: abort.signal,
      async cleanup() {
        abort.abort(new Error('test fixture cleaned up'));
        wake.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A planned task with defaults for what a test does not care about. */
export function plannedTask(task: Pick<PlannedTask, 'id' | 'role'> & Partial<PlannedTask>): PlannedTask {
  return {
    title: `Task ${task.id}`,
    description: `Do the work of ${task.id}.`,
    dependsOn: [],
    files: [],
    complexity: 'medium',
    acceptanceCriteria: [],
    ...task,
  };
}

/** Writes a plan into the state as the manager's planning step does, and starts the run. */
export async function seedPlan(fixture: TeamFixture, tasks: readonly PlannedTask[]): Promise<TeamState> {
  const managerId = fixture.config.manager.id;
  const state = await fixture.store.update((draft, context) => {
    applyPlan({ state: draft, tasks, managerId, now: context.now, emit: context.emit });
    return structuredClone(draft);
  });
  fixture.wake.notify();
  return state;
}

/** How an in-process team run ended. */
export interface TeamRunOutcome {
  coordinator: CoordinatorExit;
  agents: Record<string, AgentExitReason>;
  state: TeamState;
}

/** Runs the Coordinator and one RoleAgent per worker of the roster in this process, as `runTeam` does. */
export async function runTeamInProcess(fixture: TeamFixture, options: { agentIds?: readonly string[] } = {}): Promise<TeamRunOutcome> {
  const agentIds = options.agentIds ?? fixture.config.roster.filter((member) => !member.isManager).map((member) => member.id);
  const coordinator = new Coordinator(fixture.context, new Manager(fixture.context));
  const [coordinatorExit, ...agentExits] = await Promise.all([
    coordinator.run(fixture.signal),
    ...agentIds.map((id) => new RoleAgent(fixture.context, id).run(fixture.signal)),
  ]);
  return {
    coordinator: coordinatorExit as CoordinatorExit,
    agents: Object.fromEntries(agentIds.map((id, index) => [id, agentExits[index] as AgentExitReason])),
    state: await fixture.store.read(),
  };
}

/**
 * Resolves with the first state that satisfies `predicate`, re-reading whenever the
 * team notifies a change (and every 50 ms as a fallback); rejects once `signal` aborts.
 */
export async function waitForState(
  fixture: TeamFixture,
  predicate: (state: TeamState) => boolean,
  signal: AbortSignal = fixture.signal,
): Promise<TeamState> {
  for (;;) {
    signal.throwIfAborted();
    const since = fixture.wake.version;
    const state = await fixture.store.read();
    if (predicate(state)) return state;
    await fixture.wake.wait({ sinceVersion: since, timeoutMs: 50, signal });
  }
}

/** The run ledger so far, oldest first. */
export function readTeamLedger(fixture: TeamFixture): Promise<Array<LedgerEntry<LedgerEvent>>> {
  return readLedger<LedgerEvent>(fixture.config.ledgerFile);
}

/** The ledger events of one type. */
export function eventsOf<T extends LedgerEvent['type']>(
  ledger: ReadonlyArray<LedgerEntry<LedgerEvent>>,
  type: T,
): Array<LedgerEntry<Extract<LedgerEvent, { type: T }>>> {
  return ledger.filter((event): event is LedgerEntry<Extract<LedgerEvent, { type: T }>> => event.type === type);
}

/** Answer texts in the team protocol's JSON, for scripts. */
export const answers = {
  done: (summary: string, filesChanged: string[] = []): string => JSON.stringify({ status: 'done', summary, filesChanged }),
  blocked: (question: string): string => JSON.stringify({ status: 'blocked', question }),
  answer: (answer: string): string => JSON.stringify({ kind: 'answer', answer }),
  reassign: (answer: string, role: string): string => JSON.stringify({ kind: 'reassign', answer, role }),
  newTask: (answer: string, task: Omit<PlannedTask, 'id' | 'dependsOn'>): string => JSON.stringify({ kind: 'new_task', answer, task }),
  fail: (answer: string): string => JSON.stringify({ kind: 'fail', answer }),
  integration: (summary: string): string => JSON.stringify({ summary, risks: [], followUps: [] }),
  plan: (tasks: readonly PlannedTask[]): string => JSON.stringify({ tasks }),
};

/**
 * Registers the hooks of a test file that drives scripted teams (tokenizer warm-up,
 * cleanup after each test) and returns its `setup`.
 */
export function useScriptedTeams(): (
  options?: Partial<TeamFixtureOptions>,
) => Promise<{ provider: ScriptedProvider; fixture: TeamFixture }> {
  let fixture: TeamFixture | undefined;
  // Loading the tokenizer's ranks takes a second or more: once per file, outside any test's time.
  beforeAll(() => {
    countTokens('warm up');
  });
  // Real files and locks: generous caps for loaded CI machines (the tests take well under a second each).
  vi.setConfig({ testTimeout: 15_000 });
  afterEach(async () => {
    await fixture?.cleanup();
    fixture = undefined;
  });
  return async (options = {}) => {
    const provider = createScriptedProvider();
    fixture = await createTeamFixture({ provider, ...options });
    return { provider, fixture };
  };
}
