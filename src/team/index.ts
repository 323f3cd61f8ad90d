/** The team layer's public face: run a team or one of its agents, open its store. */
export { createAgentSpecResolver, type ResolvedAgentSpec } from './agents/provider-registry.js';
export { openTeamStore } from './run/open-team.js';
export { runAgent } from './run/run-agent.js';
export { runTeam, type RunTeamOptions, type RunTeamResult } from './run/run-team.js';
