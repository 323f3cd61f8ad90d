/**
 * Checkpoints of a manual run: places where the run waits until a person approves going on.
 * `after_plan`: no task starts before the plan is approved; `before:<task id>`: that task does not
 * start; `before_integration`: the run's final integration waits. A checkpoint holds from the start
 * of a manual run until its approval is approved, whether or not the approval was asked yet, so no
 * agent can slip past it between the moment a task becomes ready and the moment the question is asked.
 */
import { type Approval, type Task, type TeamState, TERMINAL_TASK_STATUSES } from '../../state/index.js';
import { taskById } from './task-lookup.js';

/** Before any task starts. */
export const AFTER_PLAN = 'after_plan';
/** Before the run's final integration, once every task has finished. */
export const BEFORE_INTEGRATION = 'before_integration';

/** The checkpoint before a task starts. */
export function beforeTask(taskId: string): string {
  return `before:${taskId}`;
}

/** The task id of a `before:<task id>` checkpoint, else undefined. */
export function checkpointTaskId(checkpoint: string): string | undefined {
  return checkpoint.startsWith('before:') ? checkpoint.slice('before:'.length) : undefined;
}

/** The checkpoint's latest approval, if one was asked. */
export function checkpointApproval(state: TeamState, checkpoint: string): Approval | undefined {
  return state.run.approvals.findLast((approval) => approval.kind === 'checkpoint' && approval.checkpoint === checkpoint);
}

/** True while the checkpoint is one of the run's and a person has not approved it. */
export function checkpointHolds(state: TeamState, checkpoint: string): boolean {
  const { checkpoints } = state.run.execution;
  if (checkpoints.length === 0 || !checkpoints.includes(checkpoint)) return false;
  return checkpointApproval(state, checkpoint)?.status !== 'approved';
}

/** True when a checkpoint keeps `task` from starting (cheap when the run has no checkpoints: the scheduler asks for every task). */
export function taskHeld(state: TeamState, task: Pick<Task, 'id'>): boolean {
  // States built by hand (scheduler tests, benchmarks) may carry no execution at all: nothing holds then.
  const checkpoints = state.run?.execution?.checkpoints;
  if (checkpoints === undefined || checkpoints.length === 0) return false;
  return checkpointHolds(state, AFTER_PLAN) || checkpointHolds(state, beforeTask(task.id));
}

/** The run's checkpoints reached now that no person was asked about yet (ready tasks for theirs, every task finished for the integration). */
export function dueCheckpoints(state: TeamState): string[] {
  const { checkpoints } = state.run.execution;
  if (checkpoints.length === 0 || state.tasks.length === 0) return [];
  return checkpoints.filter((checkpoint) => {
    if (checkpointApproval(state, checkpoint) !== undefined) return false;
    if (checkpoint === AFTER_PLAN) return true;
    if (checkpoint === BEFORE_INTEGRATION) return state.tasks.every((task) => TERMINAL_TASK_STATUSES.has(task.status));
    const taskId = checkpointTaskId(checkpoint);
    return taskId !== undefined && state.tasks.some((task) => task.id === taskId && task.status === 'ready');
  });
}

/** What a person is asked at a checkpoint. */
export function checkpointQuestion(state: TeamState, checkpoint: string): string {
  if (checkpoint === AFTER_PLAN) return `Approve the plan of ${state.tasks.length} task(s) so that work starts?`;
  if (checkpoint === BEFORE_INTEGRATION) return 'Every task has finished: approve the final integration?';
  const taskId = checkpointTaskId(checkpoint);
  const task = taskId === undefined ? undefined : taskById(state.tasks, taskId);
  return `Approve starting ${taskId}${task === undefined ? '' : ` (${task.role}): ${task.title}`}?`;
}
