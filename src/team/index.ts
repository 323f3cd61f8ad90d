export * from './answer-schemas.js';
export * from './plan-graph.js';
export * from './run-agent.js';
export * from './run-directory.js';
export * from './run-team.js';
export * from './summary.js';
export * from './team-context.js';
export { openTeamStore } from './open-team.js';
