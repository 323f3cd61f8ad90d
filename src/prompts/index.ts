export { composeSystemPrompt, readPromptFile } from './compose-system-prompt.js';
export { composeGateMessage, composeGatePrompt } from './gate-prompt.js';
export { composeIntegrateMessage, INTEGRATION_TOKEN_CAP, type TaskLine } from './integration-message.js';
export { composePlanMessage, composeResolveMessage, type PlanLine, type RosterRole } from './manager-messages.js';
export {
  type BlockerResolution,
  composeTaskMessage,
  type DependencyResult,
  dependencyEntry,
  type GateFeedback,
  SHORTENED_RESULTS_NOTE,
} from './task-message.js';
