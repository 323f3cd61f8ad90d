/** The team layer's public face: run a team or one of its agents, open its store. */
export { createAgentSpecResolver, type ResolvedAgentSpec } from './agents/provider-registry.js';
export { openTeamStore, readTeamStateAt } from './run/open-team.js';
export { LEASE_ENV } from './run/agent-processes.js';
export { runAgent } from './run/run-agent.js';
export { describeOwner, ownerLiveness, RUN_OWNED_EXIT_CODE } from './run/run-owner.js';
export { abandonedBecause } from './run/take-run.js';
export { runTeam, type RunTeamOptions, type RunTeamResult } from './run/run-team.js';
