export * from './compose-system-prompt.js';
export * from './manager-messages.js';
export * from './task-message.js';
export * from './gate-prompt.js';
