/**
 * The workspace layer: git worktrees for agents, sandboxed file tools, and
 * the status file each agent keeps in its worktree. It knows config only.
 */
export { readWorktreeStatus, type WorktreeStatusUpdate, writeWorktreeStatus } from './agent-status.js';
export { branchDiff, type BranchDiff } from './branch-diff.js';
export { probeSandbox, SANDBOX_OPT_OUT, type SandboxMode } from './command-sandbox.js';
export { executeTool, type ToolResult, workspaceToolSpecs } from './file-tools.js';
export { git, isClean, isRepository, resolveRef } from './git.js';
export { type MergeOutcome, mergeSequentially } from './merge.js';
export { runCommand } from './run-command.js';
export { readRunHome, recordRunHome, type RunHome } from './run-home.js';
export { changedFiles, commitAll, restoreWip, wipCommit, type WipCommit } from './task-commits.js';
export { type CleanReport, cleanWorktrees, listRunIds, removeWorktree } from './worktree-cleanup.js';
export {
  createTaskWorktree,
  discardNewTaskWorktree,
  excludeRunFiles,
  listWorktrees,
  repositoryRoot,
  taskBase,
  WORKTREES_DIR,
} from './worktrees.js';
