import type { Task } from '../../state/index.js';

/**
 * A subtask's id: role, the task it belongs to and its id in the plan, spelled `agent::task::n`
 * as the service's API shows it. The task is the service's task_id, or the run id of a run
 * started from the command line (such a run is its own task).
 */
export function subtaskId(taskId: string, task: Pick<Task, 'id' | 'role'>): string {
  return `${task.role}::${taskId}::${task.id}`;
}
