import { dirname, join } from 'node:path';
import type { TeamConfig } from '../config/index.js';
import { AgentTeamError } from '../errors/index.js';
import { acquireLock } from '../state/index.js';
import {
  WORKTREES_DIR,
  changedFiles,
  commitAll,
  createTaskWorktree,
  excludeRunFiles,
  executeTool,
  git,
  isClean,
  isRepository,
  repositoryRoot,
  wipCommit,
  workspaceToolSpecs,
  writeWorktreeStatus,
  type ToolResult,
  type WipCommit,
  type WorktreeStatusUpdate,
} from '../workspace/index.js';
import type { ToolCall, ToolSpec } from '../providers/index.js';
import { getLogger } from '../observability/index.js';
import { existsSync } from 'node:fs';

const log = getLogger('team:workspace');

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
export async function prepareWorkspace(input: { repo: string; runId: string; config: TeamConfig }): Promise<RunWorkspace> {
  if (!(await isRepository(input.repo))) {
    throw new AgentTeamError('workspace_not_repository', `${input.repo} is not a git repository. Point --workspace at a git checkout (git init, commit), or drop --workspace.`, { exitCode: 2 });
  }
  const head = await git({ cwd: input.repo, args: ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], allowFailure: true });
  if (head.code !== 0) {
    throw new AgentTeamError(
      'workspace_no_commit',
      `${input.repo} has no commit yet, and agents start from the last one. Commit once (git add -A && git commit -m "Initial commit"), then run again.`,
      { exitCode: 2 },
    );
  }
  // The run's own state and records may live in the repository: never "changes", never committed by agents.
  await excludeRunFiles({ repo: input.repo, paths: [dirname(input.config.stateFile), input.config.runsDir] });
  // Untracked files are the user's business (agents do not see them either way); edits to tracked files would be lost on agents.
  if (!(await isClean(input.repo, { untracked: false }))) {
    throw new AgentTeamError(
      'workspace_dirty',
      `${input.repo} has uncommitted changes to tracked files. Agents start from the last commit, so commit or stash them first (git status shows them).`,
      { exitCode: 2 },
    );
  }
  const workspace = await runWorkspace(input);
  if (!existsSync(workspace.integrationWorktree)) {
    // Resumed after `agent-team clean` (or a deleted directory): the branch is still there, only its checkout is gone.
    await git({ cwd: workspace.repo, args: ['worktree', 'prune'] });
    const known = await git({ cwd: workspace.repo, args: ['show-ref', '--verify', '--quiet', `refs/heads/${workspace.integrationBranch}`], allowFailure: true });
    const args = known.code === 0 ? [workspace.integrationWorktree, workspace.integrationBranch] : ['-b', workspace.integrationBranch, workspace.integrationWorktree, 'HEAD'];
    await git({ cwd: workspace.repo, args: ['worktree', 'add', ...args] });
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
  execute(call: ToolCall, signal?: AbortSignal): Promise<ToolResult>;
  /** Commits what the agent changed; the commit (or null) and the files. */
  commit(message: string): Promise<{ commit: string | null; files: string[] }>;
  /** Saves uncommitted work on `wip/<run>/<task>`; null when there was none. */
  saveWip(): Promise<WipCommit | null>;
  /** Updates `agent-status.json` in the worktree (never fails the task: a write error is logged). */
  status(update: Partial<Pick<WorktreeStatusUpdate, 'status' | 'progress' | 'filesChanged' | 'commit'>>): Promise<void>;
}

/** Opens (or, on resume, reopens) the worktree of a task, branched from the integration branch as it is now. */
export async function openTaskWorkspace(input: {
  config: TeamConfig;
  workspace: RunWorkspace;
  runId: string;
  agentId: string;
  taskId: string;
  /** Finished dependencies whose branches are not merged into the integration branch: merged into a new task branch. */
  dependencyBranches?: readonly { taskId: string; title: string; branch: string }[];
}): Promise<TaskWorkspace> {
  const settings = input.config.orchestrator.workspace;
  const allowlist = commandAllowlist(input.config);
  const worktree = await createTaskWorktree({
    repo: input.workspace.repo,
    runId: input.runId,
    agentId: input.agentId,
    taskId: input.taskId,
    base: input.workspace.integrationBranch,
    merge: (input.dependencyBranches ?? []).map((dependency) => ({ branch: dependency.branch, message: `Build on ${dependency.taskId}: ${dependency.title}` })),
    // Agent processes sharing the repository take turns at git's worktree bookkeeping.
    lock: (root) =>
      acquireLock({
        file: join(root, WORKTREES_DIR, '.agent-team-admin'),
        staleMs: input.config.orchestrator.coordination.lock_stale_ms,
        onCompromised: (error) => log.warn('the worktree lock was lost while held', { error: error.message }),
      }),
  });
  let current: WorktreeStatusUpdate = { taskId: input.taskId, agentId: input.agentId, status: 'working', progress: 0, filesChanged: [], gates: [], commit: null };
  return {
    path: worktree.path,
    branch: worktree.branch,
    baseCommit: worktree.baseCommit,
    tools: workspaceToolSpecs({ allowlist }),
    execute: (call, signal) =>
      executeTool({ worktree: worktree.path, call, allowlist, commandTimeoutMs: settings.command_timeout_seconds * 1000, outputCapBytes: settings.output_cap_bytes, signal }),
    async commit(message) {
      const commit = await commitAll({ worktree: worktree.path, message });
      return { commit, files: await changedFiles({ worktree: worktree.path, base: worktree.baseCommit }) };
    },
    saveWip: () => wipCommit({ worktree: worktree.path, taskId: input.taskId }),
    async status(update) {
      current = { ...current, ...update };
      await writeWorktreeStatus({ worktree: worktree.path, status: current }).catch((error: unknown) =>
        log.warn('could not write agent-status.json', { worktree: worktree.path, error: String(error) }),
      );
    },
  };
}
