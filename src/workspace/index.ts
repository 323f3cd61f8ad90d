/**
 * The workspace layer: git worktrees for agents, sandboxed file tools, and
 * the status file each agent keeps in its worktree. It knows config only.
 */
export { WorkspaceError, type WorkspaceErrorCode } from './workspace-error.js';
export { git, GitError, conflictedFiles, currentBranch, headCommit, isClean, isRepository, resolveRef, type GitOptions, type GitResult } from './git.js';
export {
  AGENT_COMMIT_ARGS,
  WORKTREES_DIR,
  changedFiles,
  commitAll,
  createTaskWorktree,
  discardNewTaskWorktree,
  restoreWip,
  taskBase,
  taskBaseRef,
  excludeRunFiles,
  listWorktrees,
  parseTaskBranch,
  repositoryRoot,
  taskBranch,
  wipBranch,
  wipCommit,
  type TaskWorktree,
  type WipCommit,
  type WorktreeEntry,
} from './worktrees.js';
export {
  cleanWorktrees,
  listRunIds,
  listRunWorktrees,
  removeWorktree,
  type CleanOptions,
  type CleanReport,
  type KeptItem,
  type RunWorktree,
  type SavedWip,
} from './worktree-cleanup.js';
export { isInside, resolveInside } from './sandbox.js';
export {
  WORKSPACE_TOOL_NAMES,
  executeTool,
  workspaceToolSpecs,
  type CommandAllowlist,
  type ToolResult,
  type ToolSettings,
} from './file-tools.js';
export { commandEnvironment, runCommand, type CommandOutcome } from './run-command.js';
export {
  WORKTREE_STATUSES,
  WORKTREE_STATUS_FILE,
  gateResultSchema,
  readWorktreeStatus,
  worktreeStatusFile,
  worktreeStatusSchema,
  writeWorktreeStatus,
  type GateResult,
  type WorktreeStatus,
  type WorktreeStatusUpdate,
} from './agent-status.js';
export * from './merge.js';
export { branchDiff, type BranchDiff } from './branch-diff.js';
