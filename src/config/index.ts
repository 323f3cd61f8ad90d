export * from './agents-config.js';
export * from './json-schema.js';
export * from './load-config.js';
export * from './orchestrator-config.js';
export * from './package-paths.js';
export * from './zod-issues.js';
export * from './providers-config.js';
