import type { TeamConfig } from '../../config/index.js';
import { releaseAgentReservations } from '../../cost/index.js';
import { AgentTeamError } from '../../errors/index.js';
import { hostId } from '../../files/index.js';
import { dispatchReady } from '../tasks/claim-task.js';
import { releaseTask } from '../tasks/report-result.js';
import type { AgentExitReason } from './agent-session.js';
import type { TeamStore } from './team-context.js';

/**
 * Marks the agent idle and alive in the state, and hands out what is ready.
 * What the state still lists as the agent's (tasks, budget holds) belonged to an
 * earlier process of it that died unseen (a killed worker on another machine,
 * started again before its silence was noticed): it goes back first, since this
 * process holds nothing yet. Returns what the agent needs to know about its run.
 */
export async function registerAgent(input: {
  store: TeamStore;
  config: TeamConfig;
  agentId: string;
}): Promise<{ runId: string; workspaceRepo: string | null }> {
  const { agentId } = input;
  return input.store.update((state, context) => {
    const agent = state.agents[agentId];
    if (agent === undefined) throw new AgentTeamError('agent_unknown', `agent ${agentId} is not in the run's roster`);
    for (const taskId of [...agent.activeTasks]) {
      releaseTask({ state, agentId, taskId, reason: `agent ${agentId} started again (pid ${process.pid})`, emit: context.emit });
    }
    agent.activeTasks = [];
    releaseAgentReservations(state.budget, agentId);
    agent.status = 'idle';
    agent.pid = process.pid;
    agent.host = hostId();
    agent.heartbeatAt = context.now;
    agent.stopReason = null;
    context.emit({ type: 'agent-start', agentId, pid: process.pid, host: agent.host });
    dispatchReady({ state, config: input.config, now: context.now, emit: context.emit });
    return { runId: state.run.id, workspaceRepo: state.run.options.workspace };
  });
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
