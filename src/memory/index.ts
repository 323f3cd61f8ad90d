/** The memory layer's public face: shared memory of findings, errors and decisions, the role catalogue and role tasks. */
export * from './agent-status.js';
export * from './memory-errors.js';
export * from './memory-record.js';
export * from './memory-search.js';
export * from './memory-store.js';
export * from './role-agent-task.js';
export * from './role-answer.js';
export * from './role-prompt.js';
export * from './roles.js';
export * from './role-task-list.js';
