/** The seed's subtask ids: `role::task_id::team task id`. */
import type { Task } from '../state/index.js';

/** A subtask's id: role, task id and the team's task id, as the seed spells `agent::task::n`. */
export function subtaskId(taskId: string, task: Pick<Task, 'id' | 'role'>): string {
  return `${task.role}::${taskId}::${task.id}`;
}
