/** The solo layer: standalone role agents (`spawn`, `queue run`) with their roles, prompts, answers and status files. */
export {
  agentsDirOf,
  type AgentStatus,
  agentStatusFile,
  effectiveStatus,
  readAgentStatuses,
  writeAgentStatus,
  writeAgentStatusIfAbsent,
} from './agent-status.js';
export { type RoleTaskResult, runRoleTask } from './role-agent-task.js';
export { EXAMPLE_ROLE_TASKS, parseRoleTaskList, type RoleTaskEntry } from './role-task-list.js';
export { listRoles, roleOf } from './roles.js';
