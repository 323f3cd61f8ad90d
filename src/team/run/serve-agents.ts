/**
 * `agent-team worker`: serves roster agents of a run that `agent-team run` coordinates elsewhere (another
 * process, another machine on the same PostgreSQL store). It waits for a live run, joins it under its
 * owner's lease, and when the run changes hands (a resume elsewhere) or ends, waits for the next one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TeamConfig } from '../../config/index.js';
import { AgentTeamError, UsageError } from '../../errors/index.js';
import { WakeUp } from '../../queue/index.js';
import { TERMINAL_RUN_STATUSES, type TeamState } from '../../state/index.js';
import { type AgentHolder, AgentServedElsewhereError } from '../agents/agent-lifecycle.js';
import type { AgentExitReason } from '../agents/agent-session.js';
import { OwnershipLostError } from '../agents/fenced-store.js';
import type { TeamStore } from '../agents/team-context.js';
import { describeTeamStore, openTeamStore } from './open-team.js';
import { runAgent } from './run-agent.js';
import { configOfRun } from './run-design.js';
import { ownerLiveness } from './run-owner.js';

/** What a worker tells the person watching it. */
export type WorkerEvent =
  | { kind: 'waiting'; where: string }
  | { kind: 'joined'; runId: string; lease: string; agentIds: readonly string[] }
  | { kind: 'agent-ended'; runId: string; agentId: string; reason: AgentExitReason | 'run-changed-hands' }
  | { kind: 'rejoining'; runId: string; agentId: string }
  | { kind: 'standby'; runId: string; agentId: string; holder: AgentHolder }
  | { kind: 'run-left'; runId: string; status: string };

/** How a worker ended: interrupted (Ctrl-C), or, with `once`, after the first run it served. */
export type WorkerExit = 'interrupted' | 'served';

/**
 * The role agents a worker serves in a run: `ids` checked against the roster of the run's team (its
 * design's, when it was started with one), none given: every role agent of it.
 */
export function workerAgents(config: TeamConfig, ids: readonly string[] | undefined): string[] {
  const roles = config.roster.filter((member) => !member.isManager).map((member) => member.id);
  if (ids === undefined || ids.length === 0) return roles;
  const unknown = ids.filter((id) => !roles.includes(id));
  if (unknown.length > 0) {
    throw new UsageError(
      `--agents names ${unknown.map((id) => `"${id}"`).join(', ')}: a worker serves role agents of the run's roster ` +
        `(${roles.join(', ')}); the manager runs in \`agent-team run\`.`,
    );
  }
  return [...new Set(ids)];
}

/**
 * Serves `agentIds` until `signal` aborts (or, with `once`, until the first run it joined is over):
 * waits for a run that a live owner runs, runs each agent in this process under that owner's lease,
 * and goes back to waiting when they are done or the run changes hands.
 */
export async function serveAgents(input: {
  config: TeamConfig;
  /** The roster ids to serve; undefined or empty: every role agent of each run's team. Checked against each run's roster. */
  agentIds: readonly string[] | undefined;
  signal: AbortSignal;
  once?: boolean | undefined;
  onEvent?: ((event: WorkerEvent) => void) | undefined;
  /** The wait between looks for a live run when no change wakes the worker (default: coordination.check_interval_seconds, at most 2 s). */
  pollMs?: number | undefined;
}): Promise<WorkerExit> {
  const { config, signal } = input;
  const store = openTeamStore(config);
  const pollMs = input.pollMs ?? Math.min(2000, config.orchestrator.coordination.check_interval_seconds * 1000);
  // The owner leases already served: a run this worker's agents finished is not joined again until it changes hands.
  const served = new Set<string>();
  try {
    for (;;) {
      const live = await waitForLiveRun({
        store,
        served,
        signal,
        pollMs,
        onWait: () => input.onEvent?.({ kind: 'waiting', where: describeTeamStore(config) }),
      });
      if (live === undefined) return 'interrupted';
      const { runId, lease } = live;
      served.add(lease);
      // The run's team: a run started with a design (its roster, its tiers) has the agents of that design.
      const agentIds = workerAgents(configOfRun(config, live.state), input.agentIds);
      input.onEvent?.({ kind: 'joined', runId, lease, agentIds });
      const stop = new AbortController();
      const follow = (): void => stop.abort(signal.reason);
      signal.addEventListener('abort', follow, { once: true });
      let fatal: unknown;
      try {
        await Promise.all(
          agentIds.map(async (agentId) => {
            try {
              await serveAgent({ config, store, agentId, runId, lease, signal: stop.signal, onEvent: input.onEvent, pollMs });
            } catch (error) {
              if (!changedHands(error)) {
                fatal ??= error;
                stop.abort(error);
                return;
              }
              // The run ended, or was resumed by another owner, under this agent: the others stop too, and the worker waits for the next owner.
              const now = (await store.exists()) ? await store.read() : undefined;
              const over = now === undefined || now.run.id !== runId || TERMINAL_RUN_STATUSES.has(now.run.status);
              input.onEvent?.({ kind: 'agent-ended', runId, agentId, reason: over ? 'run-finished' : 'run-changed-hands' });
              stop.abort(error);
            }
          }),
        );
      } finally {
        signal.removeEventListener('abort', follow);
      }
      if (fatal !== undefined) throw fatal;
      if (signal.aborted) return 'interrupted';
      const after = (await store.exists()) ? await store.read() : undefined;
      input.onEvent?.({ kind: 'run-left', runId, status: after?.run.status ?? 'gone' });
      if (input.once === true && (after === undefined || after.run.id !== runId || TERMINAL_RUN_STATUSES.has(after.run.status))) {
        return 'served';
      }
    }
  } finally {
    await store.close();
  }
}

/**
 * Runs one agent in the run until it is over for it. An agent the run stopped while this worker was
 * still there (its heartbeat came too late, on a loaded machine or a slow network: its tasks went to
 * others) joins again as long as the run is live under the same owner. An agent another live process
 * serves is waited for on standby: this worker takes it over once that process stops or goes silent.
 */
async function serveAgent(input: {
  config: TeamConfig;
  store: TeamStore;
  agentId: string;
  runId: string;
  lease: string;
  signal: AbortSignal;
  onEvent: ((event: WorkerEvent) => void) | undefined;
  pollMs: number;
}): Promise<void> {
  const { agentId, runId, lease, signal } = input;
  let standby = false;
  for (;;) {
    let reason: AgentExitReason;
    try {
      reason = await runAgent({ config: input.config, agentId, lease, signal });
    } catch (error) {
      if (!(error instanceof AgentServedElsewhereError)) throw error;
      if (!standby) input.onEvent?.({ kind: 'standby', runId, agentId, holder: error.holder });
      standby = true;
      // Looked at again once the holder would be silent long enough, and at least every poll.
      const untilStale = error.holder.staleAfterMs - error.holder.silentMs;
      if (!(await pause(Math.max(50, Math.min(input.pollMs, untilStale)), signal))) return;
      if (!(await stillServing(input.store, runId, lease))) return;
      continue;
    }
    standby = false;
    input.onEvent?.({ kind: 'agent-ended', runId, agentId, reason });
    if (reason !== 'stopped' || signal.aborted) return;
    if (!(await stillServing(input.store, runId, lease))) return;
    input.onEvent?.({ kind: 'rejoining', runId, agentId });
    if (!(await pause(input.pollMs, signal))) return;
  }
}

/** True while the run is `runId`, live, under the owner of `lease`. */
async function stillServing(store: TeamStore, runId: string, lease: string): Promise<boolean> {
  const state = await store.read();
  return state.run.id === runId && state.run.owner?.lease === lease && !TERMINAL_RUN_STATUSES.has(state.run.status);
}

/** Waits `ms`; false when `signal` aborted first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** A run that changed owner under an agent, or ended before it joined: the worker waits for the next owner. */
function changedHands(error: unknown): boolean {
  return error instanceof OwnershipLostError || (error instanceof AgentTeamError && error.code === 'run_not_live');
}

/** The run to join once its owner is live and this worker has not served that owner yet; undefined once `signal` aborts. */
async function waitForLiveRun(input: {
  store: TeamStore;
  served: ReadonlySet<string>;
  signal: AbortSignal;
  pollMs: number;
  onWait: () => void;
}): Promise<{ runId: string; lease: string; state: TeamState } | undefined> {
  const { store, signal } = input;
  const wakeUp = new WakeUp();
  const poke = (): void => wakeUp.poke();
  let stopWatch: (() => void) | undefined;
  signal.addEventListener('abort', poke, { once: true });
  let told = false;
  try {
    for (;;) {
      if (signal.aborted) return undefined;
      const exists = await store.exists();
      if (exists) {
        // A run's owner starting or taking the run over is an update(): a change of work.
        stopWatch ??= store.watch(poke, 'work');
        const state = await store.read();
        const joinable = joinableRun(state, input.served);
        if (joinable !== undefined) return { ...joinable, state };
      }
      if (!told) input.onWait();
      told = true;
      await wakeUp.wait(input.pollMs);
    }
  } finally {
    stopWatch?.();
    signal.removeEventListener('abort', poke);
  }
}

function joinableRun(state: TeamState, served: ReadonlySet<string>): { runId: string; lease: string } | undefined {
  const owner = state.run.owner;
  if (owner === null || TERMINAL_RUN_STATUSES.has(state.run.status) || served.has(owner.lease)) return undefined;
  if (!ownerLiveness(owner, new Date()).live) return undefined;
  return { runId: state.run.id, lease: owner.lease };
}
