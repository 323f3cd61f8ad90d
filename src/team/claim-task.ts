import { pickModel } from '../cost/index.js';
import type { TeamConfig } from '../config/index.js';
import type { BlockerResolution, DependencyResult } from '../prompts/index.js';
import type { LedgerEvent, Task, TeamState } from '../state/index.js';
import { isPlannedTaskId } from './apply-resolution.js';
import { fileConflict, nextTaskFor } from './scheduler.js';
import { dependencyResults, taskResolutions } from './work-context.js';

/** A claimed task with everything its prompt needs, read in the same locked update. */
export interface ClaimedTask {
  task: Task;
  model: string;
  dependencies: DependencyResult[];
  resolutions: BlockerResolution[];
  /** Ids of the tasks of the manager's plan (the sim spreads blockers over them). */
  planTaskIds: string[];
}

/** Records once, in the task and the ledger, that a ready task of this agent's role waits for a task touching the same files. */
function noteFileWaits(state: TeamState, agentId: string, emit: (event: LedgerEvent) => void): void {
  const role = state.agents[agentId]?.role;
  for (const task of state.tasks) {
    if (task.status !== 'ready' || task.role !== role || task.files.length === 0) continue;
    const conflict = fileConflict(state, task);
    if (conflict === undefined || task.waitingFor === conflict.taskId) continue;
    task.waitingFor = conflict.taskId;
    emit({ type: 'task-wait', taskId: task.id, agentId, blockingTaskId: conflict.taskId, files: conflict.files });
  }
}

/**
 * Claims the agent's next ready task: a compare-and-set inside `update()`, so two
 * agents never hold the same task. Returns undefined when there is nothing to take.
 */
export function claimTask(input: {
  state: TeamState;
  agentId: string;
  config: TeamConfig;
  now: string;
  emit: (event: LedgerEvent) => void;
}): ClaimedTask | undefined {
  const { state, agentId } = input;
  if (state.run.status !== 'running') return undefined;
  noteFileWaits(state, agentId, input.emit);
  const task = nextTaskFor(state, agentId);
  const agent = state.agents[agentId];
  if (task === undefined || agent === undefined) return undefined;
  const member = input.config.roster.find((candidate) => candidate.id === agentId);
  if (member === undefined) return undefined;
  task.status = 'in_progress';
  task.assignee = agentId;
  task.waitingFor = null;
  task.claimedAt = input.now;
  agent.activeTasks.push(task.id);
  agent.status = 'working';
  agent.heartbeatAt = input.now;
  const model = pickModel({
    model: member.roleConfig.model,
    tier: member.roleConfig.tier,
    complexity: task.complexity,
    tiers: member.roleConfig.tiers ?? input.config.agentsConfig.tiers,
    // A task whose answers failed validation moves up a tier on its next attempt.
    escalation: task.attempts,
  });
  agent.model = model;
  input.emit({ type: 'task-claim', agentId, taskId: task.id, attempt: task.attempts + 1, model });
  return {
    task: structuredClone(task),
    model,
    dependencies: dependencyResults(state, task),
    resolutions: taskResolutions(state, task.id),
    planTaskIds: state.tasks.map((candidate) => candidate.id).filter(isPlannedTaskId),
  };
}
