import { pickModel } from '../cost/index.js';
import type { TeamConfig } from '../config/index.js';
import type { BlockerResolution, DependencyResult } from '../prompts/index.js';
import type { LedgerEvent, Task, TeamState } from '../state/index.js';
import { isPlannedTaskId } from './apply-resolution.js';
import { nextTaskFor } from './scheduler.js';
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
  const task = nextTaskFor(state, agentId);
  const agent = state.agents[agentId];
  if (task === undefined || agent === undefined) return undefined;
  const member = input.config.roster.find((candidate) => candidate.id === agentId);
  if (member === undefined) return undefined;
  task.status = 'in_progress';
  task.assignee = agentId;
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
