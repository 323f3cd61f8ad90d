/** The state layer's public face: the team state schema, the StateStore contract and the file-backed store. */
export * from './team-state.js';
export * from './store.js';
export * from './file-store.js';
export * from './file-lock.js';
export * from './atomic-write.js';
export * from './ledger-events.js';
export * from './ledger-tail.js';
