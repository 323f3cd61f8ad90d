import type { TeamConfig } from '../../config/index.js';
import { AgentTeamError } from '../../errors/index.js';

/** The roster entry of an agent; an agent missing from it is a broken run. */
export function memberOf(config: TeamConfig, agentId: string): TeamConfig['roster'][number] {
  const member = config.roster.find((candidate) => candidate.id === agentId);
  if (member === undefined) throw new AgentTeamError('agent_unknown', `agent ${agentId} is not in the run's roster`);
  return member;
}
