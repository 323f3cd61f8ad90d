export { composeSystemPrompt, readPromptFile } from './compose-system-prompt.js';
export { composeGateMessage, composeGatePrompt } from './gate-prompt.js';
export { composeIntegrateMessage, INTEGRATION_TOKEN_CAP, type TaskLine } from './integration-message.js';
export { composePlanMessage, composeResolveMessage, type RosterRole } from './manager-messages.js';
export { PLAN_IN_FULL, type PlanExcerpt, type PlanLine, planExcerpt } from './plan-excerpt.js';
export {
  type BlockerResolution,
  composeTaskMessage,
  type DependencyResult,
  dependencyEntry,
  type GateFeedback,
  SHORTENED_RESULTS_NOTE,
} from './task-message.js';
