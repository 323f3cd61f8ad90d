/**
 * Errors of the workspace layer: git worktrees, sandboxed paths and the
 * files agents leave in their worktrees.
 */
import { AgentTeamError } from '../errors/index.js';

/** Stable codes of workspace errors. */
export type WorkspaceErrorCode =
  | 'workspace_path_escape'
  | 'workspace_not_repository'
  | 'workspace_invalid_id'
  | 'workspace_unknown_ref'
  | 'workspace_worktree_conflict'
  | 'workspace_dependency_conflict'
  | 'workspace_not_agent_worktree'
  | 'workspace_status_invalid'
  | 'workspace_invalid_allowlist'
  | 'workspace_sandbox_unavailable'
  | 'workspace_git_missing'
  | 'workspace_git_failed';

/** Something about a repository, a worktree or a path inside one is not as expected. */
export class WorkspaceError extends AgentTeamError {
  declare readonly code: WorkspaceErrorCode;

  constructor(input: { code: WorkspaceErrorCode; message: string; cause?: unknown }) {
    super(input.code, input.message, input.cause === undefined ? undefined : { cause: input.cause });
  }
}
