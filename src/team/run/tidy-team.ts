import { releaseAgentReservations } from '../../cost/index.js';
import type { TeamState } from '../../state/index.js';
import type { TeamContext } from '../agents/team-context.js';
import { failTask, releaseTask } from '../tasks/report-result.js';
import { orphanedTasks } from '../tasks/scheduler.js';
import { endAtIterationCap } from './iteration-cap.js';

/**
 * Releases the tasks and budget holds of agents whose heartbeat went silent (older
 * than `staleMs`), wherever they run (in this process, or as `agent-team worker` on
 * another machine), except the `supervised` ones (a supervisor kills and restarts
 * its silent agent processes itself);
 * fails tasks no live agent can take, unless their agents stopped at
 * coordination.max_iterations: then the run ends, resumable, saying so.
 */
export async function tidyTeam(input: {
  context: TeamContext;
  state: TeamState;
  staleMs: number;
  supervised?: ReadonlySet<string> | undefined;
  /** Agents served by workers elsewhere: stopped, they may join again, so their role's tasks wait for them instead of failing. */
  remote?: ReadonlySet<string> | undefined;
}): Promise<void> {
  const waitingRoles = new Set(
    Object.values(input.state.agents)
      .filter((agent) => input.remote?.has(agent.id) === true)
      .map((agent) => agent.role),
  );
  const orphanedHere = (state: TeamState) => orphanedTasks(state).filter((task) => !waitingRoles.has(task.role));
  const { context: team, state, staleMs } = input;
  const now = Date.now();
  const silent = Object.values(state.agents).filter(
    (agent) =>
      input.supervised?.has(agent.id) !== true &&
      agent.status !== 'stopped' &&
      agent.id !== team.config.manager.id &&
      agent.heartbeatAt !== null &&
      now - Date.parse(agent.heartbeatAt) > staleMs,
  );
  const orphans = orphanedHere(state).filter((task) => task.status === 'ready' || task.status === 'pending');
  if (silent.length === 0 && orphans.length === 0) return;
  await team.store.update((draft, context) => {
    for (const agent of silent) {
      const live = draft.agents[agent.id];
      if (live === undefined || live.status === 'stopped' || live.heartbeatAt !== agent.heartbeatAt) continue;
      for (const taskId of [...live.activeTasks]) {
        releaseTask({ state: draft, agentId: agent.id, taskId, reason: 'agent went silent', emit: context.emit });
      }
      releaseAgentReservations(draft.budget, agent.id);
      live.status = 'stopped';
      live.stopReason = 'no heartbeat';
      context.emit({ type: 'agent-stop', agentId: agent.id, reason: 'no heartbeat' });
    }
    // Agents out of iterations leave their role's tasks for a resumed run with a higher cap, not failed.
    if (endAtIterationCap({ state: draft, config: team.config, now: context.now })) return;
    for (const task of orphanedHere(draft)) {
      if (task.status !== 'ready' && task.status !== 'pending') continue;
      failTask({
        state: draft,
        agentId: team.config.manager.id,
        taskId: task.id,
        reason: `no live agent has role ${task.role}`,
        now: context.now,
        emit: context.emit,
      });
    }
  });
  team.wake.notify();
}
