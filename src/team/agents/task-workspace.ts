import { dirname, join } from 'node:path';
import type { TeamConfig } from '../../config/index.js';
import { AgentTeamError } from '../../errors/index.js';
import { acquireLock } from '../../files/index.js';
import {
  WORKTREES_DIR,
  changedFiles,
  commitAll,
  createTaskWorktree,
  discardNewTaskWorktree,
  excludeRunFiles,
  executeTool,
  git,
  isClean,
  isRepository,
  recordRunHome,
  removeWorktree,
  repositoryRoot,
  resolveRef,
  restoreWip,
  runCommand,
  wipCommit,
  workspaceToolSpecs,
  writeWorktreeStatus,
  type ToolResult,
  type WipCommit,
  type WorktreeStatusUpdate,
} from '../../workspace/index.js';
import type { ToolCall, ToolSpec } from '../../providers/index.js';
import { getLogger } from '../../observability/index.js';
import { existsSync } from 'node:fs';
import { checkCommandSandbox } from './sandbox-check.js';

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
    throw new AgentTeamError(
      'workspace_not_repository',
      `${input.repo} is not a git repository. Point --workspace at a git checkout (git init, commit), or drop --workspace.`,
      { exitCode: 2 },
    );
  }
  if ((await resolveRef(input.repo, 'HEAD')) === null) {
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
  await checkCommandSandbox(input.config);
  // A `clean` run from the repository finds this run's state, and so whether it is live, through this record.
  await recordRunHome({ repo: input.repo, runId: input.runId, stateFile: input.config.stateFile });
  const workspace = await runWorkspace(input);
  const created = !existsSync(workspace.integrationWorktree);
  if (created) {
    // Resumed after `agent-team clean` (or a deleted directory): the branch is still there, only its checkout is gone.
    await git({ cwd: workspace.repo, args: ['worktree', 'prune'] });
    const known = (await resolveRef(workspace.repo, `refs/heads/${workspace.integrationBranch}`)) !== null;
    const args = known
      ? [workspace.integrationWorktree, workspace.integrationBranch]
      : ['-b', workspace.integrationBranch, workspace.integrationWorktree, 'HEAD'];
    await git({ cwd: workspace.repo, args: ['worktree', 'add', ...args] });
    await runSetup({ config: input.config, worktree: workspace.integrationWorktree }).catch(async (error: unknown) => {
      // Nothing of the run exists yet: leave the repository as it was.
      await removeWorktree({ repo: workspace.repo, path: workspace.integrationWorktree, deleteBranch: !known, force: true });
      throw error;
    });
  }
  return workspace;
}

/**
 * Runs `workspace.setup_command` in a new worktree (installing dependencies, say),
 * so that agents' commands and the tests after merges find what they need.
 */
export async function runSetup(input: { config: TeamConfig; worktree: string; signal?: AbortSignal | undefined }): Promise<void> {
  const settings = input.config.orchestrator.workspace;
  if (settings.setup_command === null) return;
  const outcome = await runCommand({
    argv: settings.setup_command,
    cwd: input.worktree,
    // The user's own command, and installing dependencies needs the network: it runs unconfined (see the README).
    sandbox: 'off',
    timeoutMs: settings.command_timeout_seconds * 1000,
    outputCapBytes: settings.output_cap_bytes,
    signal: input.signal,
  });
  if (outcome.exitCode === 0 && !outcome.timedOut) return;
  input.signal?.throwIfAborted();
  const why = outcome.timedOut
    ? `did not finish within ${settings.command_timeout_seconds} s`
    : `exited with ${outcome.exitCode ?? outcome.signal ?? 'an error'}`;
  throw new AgentTeamError(
    'workspace_setup_failed',
    `workspace.setup_command (${settings.setup_command.join(' ')}) ${why} in ${input.worktree}. ` +
      `Fix the command in ${input.config.configFile ?? 'orchestrator-config.json'}, or set it to null.\n${outcome.output.slice(-2000)}`,
    { exitCode: 2 },
  );
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
  /** The `wip/` commit whose changes were put back into a freshly cut worktree, or null. */
  restoredWip: string | null;
  /** The worktree holds uncommitted work of an earlier attempt (left in place, or restored). */
  hasPartialWork: boolean;
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
  signal?: AbortSignal | undefined;
}): Promise<TaskWorkspace> {
  const settings = input.config.orchestrator.workspace;
  const allowlist = commandAllowlist(input.config);
  const worktree = await createTaskWorktree({
    repo: input.workspace.repo,
    runId: input.runId,
    agentId: input.agentId,
    taskId: input.taskId,
    base: input.workspace.integrationBranch,
    merge: (input.dependencyBranches ?? []).map((dependency) => ({
      branch: dependency.branch,
      message: `Build on ${dependency.taskId}: ${dependency.title}`,
    })),
    // Agent processes sharing the repository take turns at git's worktree bookkeeping.
    lock: (root) =>
      acquireLock({
        file: join(root, WORKTREES_DIR, '.agent-team-admin'),
        staleMs: input.config.orchestrator.coordination.lock_stale_ms,
        onCompromised: (error) => log.warn('the worktree lock was lost while held', { error: error.message }),
      }),
  });
  if (!worktree.resumed) {
    await runSetup({ config: input.config, worktree: worktree.path, signal: input.signal }).catch(async (error: unknown) => {
      // The next attempt cuts it again and reruns the setup.
      await discardNewTaskWorktree({ repo: input.workspace.repo, path: worktree.path, runId: input.runId, taskId: input.taskId });
      throw error;
    });
  }
  // The partial work of an attempt whose worktree is gone (cleaned away) comes back with the new one.
  const restored = worktree.resumed ? null : await restoreWip({ worktree: worktree.path, runId: input.runId, taskId: input.taskId });
  let current: WorktreeStatusUpdate = {
    taskId: input.taskId,
    agentId: input.agentId,
    status: 'working',
    progress: 0,
    filesChanged: [],
    gates: [],
    commit: null,
  };
  return {
    path: worktree.path,
    branch: worktree.branch,
    baseCommit: worktree.baseCommit,
    restoredWip: restored,
    hasPartialWork: !(await isClean(worktree.path)),
    tools: workspaceToolSpecs({ allowlist, sandbox: settings.sandbox }),
    execute: (call, signal) =>
      executeTool({
        worktree: worktree.path,
        call,
        allowlist,
        sandbox: settings.sandbox,
        commandTimeoutMs: settings.command_timeout_seconds * 1000,
        outputCapBytes: settings.output_cap_bytes,
        signal,
      }),
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
