import { randomBytes } from 'node:crypto';
import type { TeamConfig } from '../../config/index.js';
import { newBudgetBook } from '../../cost/index.js';
import { emptyUsage } from '../../providers/index.js';
import { TEAM_STATE_VERSION, type LedgerEvent, type RunOptions, type RunOwner, type TeamState } from '../../state/index.js';

/** A new run id: sortable by time, unique enough for one project's runs. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The state of a run that is about to plan. */
export function initialTeamState(input: {
  config: TeamConfig;
  runId: string;
  feature: string;
  options: RunOptions;
  simulated: boolean;
  budgetUsd: number | null;
  now: string;
  /** The process that starts the run (none: a state made for tests or export). */
  owner?: RunOwner | null;
}): TeamState {
  const { config } = input;
  const budget = config.orchestrator.budget;
  return {
    version: TEAM_STATE_VERSION,
    seq: 0,
    run: {
      id: input.runId,
      feature: input.feature,
      status: 'planning',
      simulated: input.simulated,
      options: input.options,
      createdAt: input.now,
      updatedAt: input.now,
      endedAt: null,
      endReason: null,
      integrationSummary: null,
      resumes: 0,
      owner: input.owner ?? null,
      execution: { mode: 'auto', checkpoints: [], slaSeconds: null },
      approvals: [],
      review: null,
    },
    agents: Object.fromEntries(
      config.roster.map((member) => [
        member.id,
        {
          id: member.id,
          role: member.role,
          provider: input.options.provider,
          model: member.roleConfig.model ?? '',
          status: 'idle' as const,
          pid: null,
          host: null,
          heartbeatAt: null,
          activeTasks: [],
          maxConcurrentTasks: member.maxConcurrentTasks,
          usage: emptyUsage(),
          costUsd: 0,
          calls: 0,
          stopReason: null,
        },
      ]),
    ),
    tasks: [],
    blockers: [],
    messages: [],
    budget: newBudgetBook({
      limitUsd: input.budgetUsd ?? budget.max_usd,
      limitTokens: budget.max_tokens,
      perAgentUsd: budget.per_agent_usd,
      perAgentTokens: budget.per_agent_tokens,
    }),
  };
}

/**
 * Makes an interrupted (or crashed, or out-of-budget) run runnable again: in-flight
 * tasks go back to ready, half-resolved blockers to open, stale reservations are
 * dropped and every agent is idle. Returns the released task ids.
 */
export function prepareResume(input: {
  state: TeamState;
  budgetUsd: number | null;
  now: string;
  emit: (event: LedgerEvent) => void;
}): string[] {
  const { state, emit } = input;
  const released: string[] = [];
  for (const task of state.tasks) {
    if (task.status !== 'in_progress') continue;
    task.status = 'ready';
    released.push(task.id);
    emit({ type: 'task-release', agentId: task.assignee ?? 'unknown', taskId: task.id, reason: 'resume' });
  }
  for (const blocker of state.blockers) if (blocker.status === 'resolving') blocker.status = 'open';
  state.budget.reservations = {};
  state.budget.reservedUsd = 0;
  state.budget.reservedTokens = 0;
  if (input.budgetUsd !== null) state.budget.limitUsd = input.budgetUsd;
  for (const agent of Object.values(state.agents)) {
    agent.status = 'idle';
    agent.activeTasks = [];
    agent.pid = null;
    agent.heartbeatAt = null;
    agent.stopReason = null;
  }
  state.run.status = state.tasks.length === 0 ? 'planning' : 'running';
  state.run.resumes += 1;
  state.run.endedAt = null;
  state.run.endReason = null;
  state.run.updatedAt = input.now;
  emit({ type: 'run-resume', runId: state.run.id, resumes: state.run.resumes, released });
  return released;
}
