import type { TeamConfig } from '../../config/index.js';
import { releaseAgentReservations } from '../../cost/index.js';
import { AgentTeamError } from '../../errors/index.js';
import { hostId, isProcessRunning } from '../../files/index.js';
import type { AgentState, LedgerEvent, TeamState } from '../../state/index.js';
import { dispatchReady } from '../tasks/claim-task.js';
import { releaseTask } from '../tasks/report-result.js';
import type { AgentExitReason } from './agent-session.js';
import { heartbeatStaleMs } from './heartbeat.js';
import type { TeamStore } from './team-context.js';
import { transitionRoster } from './work-transitions.js';

/** Exit code of an agent refused because another live process serves it (as for a run another process owns). */
export const AGENT_SERVED_ELSEWHERE_EXIT_CODE = 6;

/** The process that serves an agent, as the state records it. */
export interface AgentHolder {
  readonly pid: number;
  readonly host: string | null;
  readonly heartbeatAt: string;
  /** How long ago its last heartbeat was, by the store's clock. */
  readonly silentMs: number;
  /** When it counts as gone unless it beats again: then another process may take the agent over. */
  readonly staleAfterMs: number;
}

/** Another live process serves the agent: one agent never runs in two processes at once. */
export class AgentServedElsewhereError extends AgentTeamError {
  readonly agentId: string;
  readonly holder: AgentHolder;

  constructor(agentId: string, holder: AgentHolder) {
    const where = holder.host === null ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
    super(
      'agent_served_elsewhere',
      `Agent ${agentId} is already served by ${where} (last heartbeat ${(holder.silentMs / 1000).toFixed(1)} s ago). ` +
        `One agent runs in one process: serve other agents (agent-team worker --agents …), or stop that process. ` +
        `An agent whose heartbeat is silent for ${(holder.staleAfterMs / 1000).toFixed(0)} s is taken over.`,
      { exitCode: AGENT_SERVED_ELSEWHERE_EXIT_CODE },
    );
    this.agentId = agentId;
    this.holder = holder;
  }
}

/**
 * The live process the state says serves `agent`, when it is not this one: its heartbeat is fresh,
 * and on this host its pid still runs. A stopped agent, a silent one (three heartbeats), or a
 * process of this host that is gone holds nothing.
 */
export function liveHolder(input: { agent: AgentState; now: string; staleMs: number }): AgentHolder | undefined {
  const { agent } = input;
  if (agent.status === 'stopped' || agent.pid === null || agent.heartbeatAt === null) return undefined;
  const host = agent.host ?? null;
  const sameHost = host === null || host === hostId();
  if (sameHost && agent.pid === process.pid) return undefined;
  const silentMs = Date.parse(input.now) - Date.parse(agent.heartbeatAt);
  if (!(silentMs < input.staleMs)) return undefined;
  if (sameHost && !isProcessRunning(agent.pid)) return undefined;
  return { pid: agent.pid, host, heartbeatAt: agent.heartbeatAt, silentMs: Math.max(0, silentMs), staleAfterMs: input.staleMs };
}

/**
 * Marks the agent idle and alive in the state, and hands out what is ready.
 * What the state still lists as the agent's (tasks, budget holds) belonged to an
 * earlier process of it that died unseen (a killed worker on another machine,
 * started again before its silence was noticed): it goes back first, since this
 * process holds nothing yet. An agent another live process serves is refused
 * (AgentServedElsewhereError): its heartbeat is fresh, and on this host its pid
 * runs. Returns what the agent needs to know about its run.
 * Through the store's transitions when they decide (an agent nothing of an earlier
 * process holds on to: one statement, no copy of the run), else in an update().
 */
export async function registerAgent(input: {
  store: TeamStore;
  config: TeamConfig;
  agentId: string;
}): Promise<{ runId: string; workspaceRepo: string | null }> {
  const { store, config, agentId } = input;
  if (store.transitions !== undefined) {
    const outcome = await store.transitions.register({ agentId, pid: process.pid, host: hostId(), roster: transitionRoster(config) });
    if (outcome.kind === 'registered') return { runId: outcome.runId, workspaceRepo: outcome.workspaceRepo };
    if (outcome.kind === 'unknown') {
      // The registration went through and its answer was lost: the run says the rest.
      const { run } = await store.read();
      return { runId: run.id, workspaceRepo: run.options.workspace };
    }
  }
  return store.update((state, context) => startAgent({ state, config, agentId, now: context.now, emit: context.emit }));
}

/** registerAgent's change of the state: the agent alive and idle, what an earlier process of it held given back, ready tasks handed out. */
export function startAgent(input: {
  state: TeamState;
  config: TeamConfig;
  agentId: string;
  now: string;
  emit: (event: LedgerEvent) => void;
}): { runId: string; workspaceRepo: string | null } {
  const { state, agentId, now, emit } = input;
  const agent = state.agents[agentId];
  if (agent === undefined) throw new AgentTeamError('agent_unknown', `agent ${agentId} is not in the run's roster`);
  const holder = liveHolder({ agent, now, staleMs: heartbeatStaleMs(input.config) });
  if (holder !== undefined) throw new AgentServedElsewhereError(agentId, holder);
  for (const taskId of [...agent.activeTasks]) {
    releaseTask({ state, agentId, taskId, reason: `agent ${agentId} started again (pid ${process.pid})`, emit });
  }
  agent.activeTasks = [];
  releaseAgentReservations(state.budget, agentId);
  agent.status = 'idle';
  agent.pid = process.pid;
  agent.host = hostId();
  agent.heartbeatAt = now;
  agent.stopReason = null;
  emit({ type: 'agent-start', agentId, pid: process.pid, host: agent.host });
  dispatchReady({ state, config: input.config, now, emit });
  return { runId: state.run.id, workspaceRepo: state.run.options.workspace };
}

/** Marks the agent stopped with its reason; work handed to it that it never started goes back to ready for the others. */
export async function retireAgent(input: { store: TeamStore; agentId: string; reason: AgentExitReason }): Promise<void> {
  const { agentId, reason } = input;
  await input.store.update((state, context) => {
    const agent = state.agents[agentId];
    if (agent === undefined) return;
    agent.status = 'stopped';
    for (const taskId of agent.activeTasks)
      releaseTask({ state, agentId, taskId, reason: `agent stopped (${reason})`, emit: context.emit });
    agent.activeTasks = [];
    agent.stopReason = reason;
    context.emit({ type: 'agent-stop', agentId, reason });
  });
}
