import { join } from 'node:path';
import type { TeamConfig } from '../config/index.js';
import { AgentTeamError } from '../errors/index.js';
import type { TeamState } from '../state/index.js';
import {
  WORKTREES_DIR,
  changedFiles,
  commitAll,
  createTaskWorktree,
  executeTool,
  git,
  isClean,
  isRepository,
  mergeSequentially,
  repositoryRoot,
  workspaceToolSpecs,
  type MergeOutcome,
  type ToolResult,
} from '../workspace/index.js';
import type { ToolCall, ToolSpec } from '../providers/index.js';
import { existsSync } from 'node:fs';

/** Where a run's agents change code. */
export interface RunWorkspace {
  repo: string;
  integrationBranch: string;
  integrationWorktree: string;
}

/** The integration branch and its worktree of a run. */
export async function runWorkspace(input: { repo: string; runId: string }): Promise<RunWorkspace> {
  const repo = await repositoryRoot(input.repo);
  return {
    repo,
    integrationBranch: `agent-team/${input.runId}/integration`,
    integrationWorktree: join(repo, WORKTREES_DIR, `integration-${input.runId}`),
  };
}

/**
 * Checks the repository and creates the run's integration branch (from HEAD) in its
 * own worktree. The user's checkout and branch are never changed; uncommitted
 * changes would not reach the agents, so they are refused.
 */
export async function prepareWorkspace(input: { repo: string; runId: string }): Promise<RunWorkspace> {
  if (!(await isRepository(input.repo))) {
    throw new AgentTeamError('workspace_not_repository', `${input.repo} is not a git repository. Point --workspace at a git checkout (git init, commit), or drop --workspace.`, { exitCode: 2 });
  }
  if (!(await isClean(input.repo))) {
    throw new AgentTeamError(
      'workspace_dirty',
      `${input.repo} has uncommitted changes. Agents start from the last commit, so commit or stash them first (git status shows them).`,
      { exitCode: 2 },
    );
  }
  const workspace = await runWorkspace(input);
  if (!existsSync(workspace.integrationWorktree)) {
    await git({ cwd: workspace.repo, args: ['worktree', 'add', '-b', workspace.integrationBranch, workspace.integrationWorktree, 'HEAD'] });
  }
  return workspace;
}

/** The commands agents may run: the configured allowlist, else the test command alone. */
export function commandAllowlist(config: TeamConfig): string[][] {
  const settings = config.orchestrator.workspace;
  return settings.allow_commands ?? (settings.test_command === null ? [] : [settings.test_command]);
}

/** A task's worktree with its file tools. */
export interface TaskWorkspace {
  path: string;
  branch: string;
  baseCommit: string;
  tools: ToolSpec[];
  execute(call: ToolCall): Promise<ToolResult>;
  /** Commits what the agent changed; the commit (or null) and the files. */
  commit(message: string): Promise<{ commit: string | null; files: string[] }>;
}

/** Opens (or, on resume, reopens) the worktree of a task, branched from the integration branch as it is now. */
export async function openTaskWorkspace(input: { config: TeamConfig; workspace: RunWorkspace; runId: string; agentId: string; taskId: string }): Promise<TaskWorkspace> {
  const settings = input.config.orchestrator.workspace;
  const allowlist = commandAllowlist(input.config);
  const worktree = await createTaskWorktree({ repo: input.workspace.repo, runId: input.runId, agentId: input.agentId, taskId: input.taskId, base: input.workspace.integrationBranch });
  return {
    path: worktree.path,
    branch: worktree.branch,
    baseCommit: worktree.baseCommit,
    tools: workspaceToolSpecs({ allowlist }),
    execute: (call) =>
      executeTool({ worktree: worktree.path, call, allowlist, commandTimeoutMs: settings.command_timeout_seconds * 1000, outputCapBytes: settings.output_cap_bytes }),
    async commit(message) {
      const commit = await commitAll({ worktree: worktree.path, message });
      return { commit, files: await changedFiles({ worktree: worktree.path, base: worktree.baseCommit }) };
    },
  };
}

/**
 * Merges the done tasks' branches into the integration branch in plan order (which
 * respects dependencies), each followed by the test command.
 */
export async function mergeDoneTasks(input: { config: TeamConfig; workspace: RunWorkspace; state: TeamState }): Promise<MergeOutcome[]> {
  const settings = input.config.orchestrator.workspace;
  const candidates = input.state.tasks
    .filter((task) => task.status === 'done' && task.branch !== null && task.commit !== null && task.merge === null)
    .map((task) => ({ taskId: task.id, title: task.title, branch: task.branch as string, worktree: join(input.workspace.repo, WORKTREES_DIR, `${task.assignee ?? 'agent'}-${task.id}`) }));
  return mergeSequentially({
    integrationWorktree: input.workspace.integrationWorktree,
    integrationBranch: input.workspace.integrationBranch,
    candidates,
    test: settings.test_command === null ? null : { argv: settings.test_command, timeoutMs: settings.command_timeout_seconds * 1000, outputCapBytes: settings.output_cap_bytes },
    autoMerge: input.config.orchestrator.coordination.auto_merge,
  });
}
