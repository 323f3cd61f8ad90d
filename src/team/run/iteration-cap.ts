/** The end of a run whose agents reached coordination.max_iterations with work left: resumable, and saying so. */
import type { TeamConfig } from '../../config/index.js';
import type { Task, TeamState } from '../../state/index.js';
import { TERMINAL_TASK_STATUSES } from '../../state/index.js';
import type { AgentExitReason } from '../agents/agent-session.js';
import { resumeCommand } from './resume-command.js';

/** The stop reason of an agent that made its coordination.max_iterations work calls. */
const MAX_ITERATIONS_STOP: AgentExitReason = 'max-iterations';

/**
 * Roles whose unfinished tasks no live agent can take because their agents
 * stopped at coordination.max_iterations (every one of them stopped, one at least at the cap).
 */
export function rolesOutOfIterations(state: TeamState): string[] {
  const roles = new Map<string, { live: boolean; capped: boolean }>();
  for (const agent of Object.values(state.agents)) {
    const role = roles.get(agent.role) ?? { live: false, capped: false };
    if (agent.status !== 'stopped') role.live = true;
    else if (agent.stopReason === MAX_ITERATIONS_STOP) role.capped = true;
    roles.set(agent.role, role);
  }
  const waiting = new Set(state.tasks.filter((task) => !TERMINAL_TASK_STATUSES.has(task.status)).map((task) => task.role));
  return [...roles].filter(([role, seen]) => seen.capped && !seen.live && waiting.has(role)).map(([role]) => role);
}

/** Why the run stopped, and how to continue it: raise the cap, then resume. */
export function iterationCapReason(input: { state: TeamState; config: TeamConfig; roles: readonly string[] }): string {
  const { state, config } = input;
  const cap = config.orchestrator.coordination.max_iterations;
  const left = state.tasks.filter((task: Task) => !TERMINAL_TASK_STATUSES.has(task.status)).length;
  const where = config.configFile ?? 'orchestrator-config.json';
  return (
    `stopped at the iteration cap: the ${input.roles.join(', ')} agent(s) made coordination.max_iterations (${cap}) work calls each ` +
    `with ${left} task(s) unfinished; raise coordination.max_iterations in ${where} and continue with ${resumeCommand(config.store.kind)}`
  );
}

/**
 * Ends the run as interrupted (so `run --resume` continues it) when agents stopped
 * at the iteration cap with work of their role left. Returns true when it did.
 */
export function endAtIterationCap(input: { state: TeamState; config: TeamConfig; now: string }): boolean {
  const { state } = input;
  if (state.run.status !== 'running') return false;
  const roles = rolesOutOfIterations(state);
  if (roles.length === 0) return false;
  state.run.status = 'interrupted';
  state.run.endReason = iterationCapReason({ state, config: input.config, roles });
  state.run.updatedAt = input.now;
  return true;
}
