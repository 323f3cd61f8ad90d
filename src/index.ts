/** agent-team's programmatic API: run a team, read its state, build providers. */
export * from './config/index.js';
export * from './cost/index.js';
export * from './errors/index.js';
export * from './prompts/index.js';
export * from './providers/index.js';
export * from './queue/index.js';
export * from './memory/index.js';
export * from './batch/index.js';
export * from './state/index.js';
export * from './team/index.js';
export * from './workspace/index.js';
