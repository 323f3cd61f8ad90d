/** GET /agents: the roster as a directory of specialists, with capability tags, health and load. */
import { basename, dirname } from 'node:path';
import { pickModelForRole, type ResolvedAgent, type TeamConfig } from '../config/index.js';
import type { TeamState } from '../state/index.js';
import type { AgentEntry } from './api-schemas.js';

/** Filters of GET /agents; each given one must match. */
export interface AgentFilters {
  readonly domain?: string | undefined;
  readonly capability?: string | undefined;
  readonly health?: AgentEntry['health'] | undefined;
}

function promptName(path: string): string {
  return basename(path).replace(/\.md$/, '');
}

/** Why an agent's provider cannot be called (a missing API key), or null when it can. */
export function unavailableBecause(config: TeamConfig, provider: string): string | null {
  if (provider !== 'anthropic' && provider !== 'openai') return null;
  const settings = config.orchestrator.providers[provider];
  if (provider === 'openai' && settings.base_url !== null) return null;
  const key = process.env[settings.api_key_env];
  return key === undefined || key === '' ? `${settings.api_key_env} is not set` : null;
}

function entryOf(config: TeamConfig, member: ResolvedAgent, states: readonly TeamState[]): AgentEntry {
  const { roleConfig } = member;
  const platforms = roleConfig.platforms;
  const domains =
    platforms.length > 0
      ? [...new Set(platforms.map((platform) => basename(dirname(platform))))]
      : [member.isManager ? 'management' : 'general'];
  const skills = [...new Set([member.role, promptName(roleConfig.base), ...platforms.map(promptName)])];
  const provider = roleConfig.provider ?? config.orchestrator.provider.name;
  const reason = unavailableBecause(config, provider);
  const load = states.reduce(
    (total, state) => total + state.tasks.filter((task) => task.status === 'in_progress' && task.assignee === member.id).length,
    0,
  );
  return {
    name: member.id,
    role: member.role,
    domains,
    skills,
    provider,
    model: pickModelForRole(roleConfig, roleConfig.tiers ?? config.agentsConfig.tiers),
    health: reason === null ? 'healthy' : 'unavailable',
    health_reason: reason,
    max_concurrent_tasks: member.maxConcurrentTasks,
    load,
  };
}

/** The roster's agents matching every filter given; `states` are the runs executing now, for the load. */
export function listAgents(input: { config: TeamConfig; states: readonly TeamState[]; filters: AgentFilters }): AgentEntry[] {
  const { config, states, filters } = input;
  return config.roster
    .map((member) => entryOf(config, member, states))
    .filter(
      (agent) =>
        (filters.domain === undefined || agent.domains.includes(filters.domain)) &&
        (filters.capability === undefined || agent.skills.includes(filters.capability)) &&
        (filters.health === undefined || agent.health === filters.health),
    );
}
