/** Which roles of a run some agent can take (seed 004's 503 "agent unavailable"): a roster agent of the role whose provider can be called. */
import type { TeamConfig } from '../config/index.js';
import type { TeamState } from '../state/index.js';
import { unavailableBecause } from './agent-directory.js';

/** The roles some roster agent can take now, and for every other role of the run's unfinished tasks, why none can. */
export function routableRoles(config: TeamConfig, state: TeamState): { routable: Set<string>; reasons: Map<string, string> } {
  const routable = new Set<string>();
  const refusals = new Map<string, string[]>();
  for (const member of config.roster) {
    if (member.isManager) continue;
    const reason = unavailableBecause(config, member.roleConfig.provider ?? state.run.options.provider);
    if (reason === null) routable.add(member.role);
    else refusals.set(member.role, [...(refusals.get(member.role) ?? []), `${member.id}: ${reason}`]);
  }
  const reasons = new Map<string, string>();
  for (const task of state.tasks) {
    if (routable.has(task.role) || reasons.has(task.role)) continue;
    const refused = refusals.get(task.role);
    reasons.set(
      task.role,
      refused === undefined
        ? `no agent of the roster has role ${task.role}`
        : `every agent of role ${task.role} is unavailable (${refused.join('; ')})`,
    );
  }
  return { routable, reasons };
}
