export { composeSystemPrompt, readPromptFile } from './compose-system-prompt.js';
export { composeGateMessage, composeGatePrompt } from './gate-prompt.js';
export { composeIntegrateMessage, composePlanMessage, composeResolveMessage, type RosterRole, type TaskLine } from './manager-messages.js';
export { type BlockerResolution, composeTaskMessage, type DependencyResult, type GateFeedback } from './task-message.js';
