import { AgentTeamError } from '../../errors/index.js';
import { pickModel } from '../../cost/index.js';
import type { TeamConfig } from '../../config/index.js';
import type { BlockerResolution, DependencyResult, GateFeedback } from '../../prompts/index.js';
import { type LedgerEvent, type ModelsBySize, plainList, type Task, type TaskGrant, type TeamState } from '../../state/index.js';
import { isPlannedTaskId } from './apply-resolution.js';
import { nextTaskFor, mayWaitForFiles, scopeConflict, type TaskScope, taskScope } from './scheduler.js';
import { taskById, taskPosition } from './task-lookup.js';
import { memberOf } from './roster-member.js';
import { dependencyResult, dependencyResults, taskResolutions } from './work-context.js';

/** A claimed task with everything its prompt needs, read in the same locked update. */
export interface ClaimedTask {
  task: Task;
  model: string;
  dependencies: DependencyResult[];
  resolutions: BlockerResolution[];
  /** Branches of finished dependencies not merged into the integration branch (auto_merge off): the task builds on them. */
  dependencyBranches: { taskId: string; title: string; branch: string }[];
  /** Why the gates failed this task's last change, when they did. */
  gateFeedback: GateFeedback[];
  /** Ids of the tasks of the manager's plan (the sim spreads blockers over them). */
  planTaskIds: readonly string[];
}

/** Records once, in the task and the ledger, that a ready task of this agent's role waits for a task touching the same files. */
function noteFileWaits(state: TeamState, agentId: string, scope: TaskScope, emit: (event: LedgerEvent) => void): void {
  const role = state.agents[agentId]?.role;
  if (role === undefined) return;
  // Only a ready task whose files overlap a busy task's can wait: found from the busy paths where the scope can.
  for (const task of mayWaitForFiles(state, scope, role)) {
    if (task.status !== 'ready' || task.files.length === 0) continue;
    const conflict = scopeConflict(scope, task);
    if (conflict === undefined || task.waitingFor === conflict.taskId) continue;
    // The scope's tasks are read from the plain entries: the one changed is taken from the list (see plainList).
    (taskById(state.tasks, task.id) ?? task).waitingFor = conflict.taskId;
    emit({ type: 'task-wait', taskId: task.id, agentId, blockingTaskId: conflict.taskId, files: conflict.files });
  }
}

/**
 * Claims the agent's next ready task: a compare-and-set inside `update()`, so two
 * agents never hold the same task. Returns undefined when there is nothing to take.
 */
/** The model an agent uses for a task: its role's, by tier; a failed attempt moves one tier up. */
function modelFor(config: TeamConfig, agentId: string, task: Task): string {
  const member = memberOf(config, agentId);
  return pickModel({
    model: member.roleConfig.model,
    tier: member.roleConfig.tier,
    complexity: task.complexity,
    tiers: member.roleConfig.tiers ?? config.agentsConfig.tiers,
    escalation: task.attempts,
  });
}

/** The failed verdicts of the task's last gate round, if that round failed. */
function gateFeedback(task: Task): GateFeedback[] {
  const round = Math.max(0, ...task.gates.map((verdict) => verdict.round));
  return task.gates
    .filter((verdict) => verdict.round === round && !verdict.passed)
    .map((verdict) => ({ gate: verdict.name, reasons: verdict.reasons }));
}

/** What the agent holding `task` needs for its prompt, read from the state. */
export function claimedTaskFrom(input: { state: TeamState; config: TeamConfig; agentId: string; task: Task }): ClaimedTask {
  const { state, task } = input;
  // Copies throughout: the store keeps the state it hands to update() for its next commit, so nothing returned may share it.
  return {
    task: structuredClone(task),
    model: modelFor(input.config, input.agentId, task),
    dependencies: structuredClone(dependencyResults(state, task)),
    resolutions: taskResolutions(state, task.id),
    gateFeedback: structuredClone(gateFeedback(task)),
    dependencyBranches: dependencyBranches(state.tasks, task),
    planTaskIds: plannedTaskIds(state.tasks),
  };
}

// The ids of the last plan asked about, and those of its planned tasks; per frozen version, those planned ids.
let lastPlan: { ids: readonly string[]; planned: readonly string[] } | undefined;
const plannedOfVersion = new WeakMap<readonly Task[], readonly string[]>();

/** The ids of the manager's plan among `tasks`, in order: kept while the plan has the same ids. */
function plannedTaskIds(list: readonly Task[]): string[] {
  const frozen = Object.isFrozen(list);
  const tasks = plainList(list);
  let planned = frozen ? plannedOfVersion.get(tasks) : undefined;
  if (planned === undefined) {
    if (lastPlan === undefined || !sameIds(tasks, lastPlan.ids)) {
      const ids = tasks.map((candidate) => candidate.id);
      lastPlan = { ids, planned: ids.filter(isPlannedTaskId) };
    }
    planned = lastPlan.planned;
    if (frozen) plannedOfVersion.set(tasks, planned);
  }
  return [...planned];
}

function sameIds(tasks: readonly Task[], ids: readonly string[]): boolean {
  if (tasks.length !== ids.length) return false;
  for (let index = 0; index < ids.length; index += 1) if ((tasks[index] as Task).id !== ids[index]) return false;
  return true;
}

/** The finished dependencies of `task` whose branches wait unmerged (auto_merge off), in plan order. */
function dependencyBranches(tasks: readonly Task[], task: Task): ClaimedTask['dependencyBranches'] {
  const positions = new Set<number>();
  for (const id of task.dependsOn) {
    const position = taskPosition(tasks, id);
    if (position !== undefined) positions.add(position);
  }
  return waitingBranches([...positions].sort((a, b) => a - b).map((position) => tasks[position] as Task));
}

/** Of `dependencies` (in plan order), the finished ones whose branches wait unmerged. */
function waitingBranches(dependencies: readonly Task[]): ClaimedTask['dependencyBranches'] {
  return dependencies
    .filter((other) => other.status === 'done' && other.branch !== null && other.merge?.startsWith('ready:') === true)
    .map((other) => ({ taskId: other.id, title: other.title, branch: other.branch as string }));
}

/** What the agent given `grant` by the store's transitions needs for its prompt (as claimedTaskFrom, from the grant's rows). */
export function claimedTaskFromGrant(input: { config: TeamConfig; agentId: string; grant: TaskGrant }): ClaimedTask {
  const { grant } = input;
  const { task } = grant;
  const dependencies = new Map(grant.dependencies.map((dependency) => [dependency.id, dependency]));
  return {
    task,
    model: modelFor(input.config, input.agentId, task),
    dependencies: task.dependsOn.flatMap((id) => {
      const dependency = dependencies.get(id);
      return dependency === undefined ? [] : dependencyResult(dependency);
    }),
    resolutions: taskResolutions(grant, task.id),
    gateFeedback: gateFeedback(task),
    dependencyBranches: waitingBranches(grant.dependencies),
    planTaskIds: plannedOfGrant(grant.taskIds),
  };
}

// The planned ids of each list of a plan's ids a store's transitions gave (they keep one list per version of the plan).
const plannedOfIds = new WeakMap<readonly string[], readonly string[]>();

function plannedOfGrant(taskIds: readonly string[]): readonly string[] {
  let planned = plannedOfIds.get(taskIds);
  if (planned === undefined) {
    planned = taskIds.filter(isPlannedTaskId);
    plannedOfIds.set(taskIds, planned);
  }
  return planned;
}

/** The models an agent uses for a task of each size, on its first, second and later attempts (modelFor for each). */
export function modelsBySize(config: TeamConfig, agentId: string): ModelsBySize {
  const member = memberOf(config, agentId);
  const models = (complexity: Task['complexity']): [string, string, string] => {
    const model = (escalation: number): string =>
      pickModel({
        model: member.roleConfig.model,
        tier: member.roleConfig.tier,
        complexity,
        tiers: member.roleConfig.tiers ?? config.agentsConfig.tiers,
        escalation,
      });
    return [model(0), model(1), model(2)];
  };
  return { simple: models('simple'), medium: models('medium'), complex: models('complex') };
}

/** Gives `task` to `agentId`: in progress, counted against the agent, recorded in the ledger. */
function assignTask(input: {
  state: TeamState;
  agentId: string;
  task: Task;
  config: TeamConfig;
  now: string;
  scope: TaskScope;
  emit: (event: LedgerEvent) => void;
}): void {
  const { task, agentId } = input;
  const agent = input.state.agents[agentId];
  if (agent === undefined) throw new AgentTeamError('agent_unknown', `agent ${agentId} is not in the state's agents`);
  task.status = 'in_progress';
  task.assignee = agentId;
  task.fence += 1;
  task.waitingFor = null;
  task.claimedAt = input.now;
  agent.activeTasks.push(task.id);
  agent.status = 'working';
  input.scope.busy.add(task, taskPosition(input.state.tasks, task.id) ?? input.state.tasks.indexOf(task));
  const model = modelFor(input.config, agentId, task);
  agent.model = model;
  input.emit({ type: 'task-claim', agentId, taskId: task.id, attempt: task.attempts + 1, model });
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
  const scope = taskScope(state);
  noteFileWaits(state, agentId, scope, input.emit);
  const task = nextTaskFor(state, agentId, scope);
  const agent = state.agents[agentId];
  if (task === undefined || agent === undefined) return undefined;
  if (!input.config.roster.some((candidate) => candidate.id === agentId)) return undefined;
  assignTask({ ...input, task, scope });
  agent.heartbeatAt = input.now;
  return claimedTaskFrom({ state, config: input.config, agentId, task });
}

/**
 * Hands tasks that just became ready to idle agents of their role in the same
 * commit, so no agent has to spend a commit of its own to claim them. Only
 * agents that have started (heartbeat) and have room get work; the agent finds
 * it on its next wake-up and starts it.
 */
export function dispatchReady(input: { state: TeamState; config: TeamConfig; now: string; emit: (event: LedgerEvent) => void }): void {
  const { state } = input;
  if (state.run.status !== 'running') return;
  // One index of the files in use for the whole pass, kept up to date as tasks are handed out.
  const scope = taskScope(state);
  for (const member of input.config.roster) {
    if (member.isManager) continue;
    const agent = state.agents[member.id];
    if (agent === undefined || agent.status === 'stopped' || agent.heartbeatAt === null) continue;
    noteFileWaits(state, member.id, scope, input.emit);
    for (;;) {
      const task = nextTaskFor(state, member.id, scope);
      if (task === undefined) break;
      assignTask({ ...input, agentId: member.id, task, scope });
    }
  }
}
