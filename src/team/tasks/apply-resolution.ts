import type { LedgerEvent, TeamState } from '../../state/index.js';
import type { Resolution } from './answer-schemas.js';
import { failTask } from './report-result.js';
import { refreshReadiness } from './scheduler.js';
import { newTask } from './task-factory.js';
import { blockerById, taskById } from './task-lookup.js';

/** Id of the prerequisite task a `new_task` resolution of `blockerId` creates. */
export function prerequisiteTaskId(blockerId: string): string {
  return `${blockerId}-T`;
}

/** True for tasks of the manager's plan, false for prerequisites added by resolutions. */
export function isPlannedTaskId(taskId: string): boolean {
  return !/-B\d+-T$/.test(taskId);
}

/** Who resolves: the manager (`approvedBy`: the person who approved it in a manual run), or a person directly. */
export type Resolver = { kind: 'manager'; approvedBy?: string | undefined } | { kind: 'person'; by: string };

/** A resolution of one blocker, within the update that records it. */
export interface ResolutionInput {
  state: TeamState;
  blockerId: string;
  resolution: Resolution;
  managerId: string;
  now: string;
  emit: (event: LedgerEvent) => void;
}

/**
 * Applies a resolution, the manager's or a person's: the blocked task resumes (answer), waits for a
 * new prerequisite task (new_task), moves to another role (reassign), or fails.
 */
export function applyResolution(input: ResolutionInput & { /** Default: the manager. */ resolver?: Resolver | undefined }): void {
  const { state, resolution, now, emit, managerId } = input;
  const resolver = input.resolver ?? { kind: 'manager' };
  const blocker = blockerById(state.blockers, input.blockerId);
  if (blocker === undefined || blocker.status === 'resolved') return;
  const task = taskById(state.tasks, blocker.taskId);
  const resolvedBy = resolver.kind === 'person' ? resolver.by : managerId;
  blocker.status = 'resolved';
  blocker.resolution = resolution.answer;
  blocker.resolutionKind = resolution.kind;
  blocker.resolvedBy = resolvedBy;
  blocker.resolver = resolver.kind;
  blocker.resolvedAt = now;
  state.messages.push({
    id: `${blocker.id}-A`,
    from: resolvedBy,
    to: blocker.raisedBy,
    taskId: blocker.taskId,
    body: resolution.answer,
    at: now,
  });
  emit({
    type: 'blocker-resolve',
    agentId: resolver.kind === 'person' ? 'person' : managerId,
    taskId: blocker.taskId,
    blockerId: blocker.id,
    resolutionKind: resolution.kind,
    resolution: resolution.answer,
    resolver: resolver.kind,
    by: resolver.kind === 'person' ? resolver.by : (resolver.approvedBy ?? null),
  });
  if (task === undefined || task.status !== 'blocked') return;
  switch (resolution.kind) {
    case 'answer':
      task.status = 'ready';
      break;
    case 'reassign':
      task.role = resolution.role;
      task.assignee = null;
      task.lastOutput = null;
      task.status = 'ready';
      break;
    case 'fail':
      failTask({
        state,
        agentId: resolvedBy,
        taskId: task.id,
        reason: `${resolver.kind === 'person' ? `${resolvedBy} (a person)` : 'manager'}: ${resolution.answer}`,
        now,
        emit,
      });
      return;
    case 'new_task': {
      // Derived from the blocker id, so the same run gives the same ids in any mode.
      const id = prerequisiteTaskId(blocker.id);
      state.tasks.push(newTask({ task: { ...resolution.task, id, dependsOn: [] }, createdBy: managerId, status: 'ready' }));
      emit({ type: 'task-create', agentId: managerId, taskId: id, reason: `prerequisite of ${task.id} (${blocker.id})` });
      task.dependsOn.push(id);
      task.status = 'pending';
      break;
    }
  }
  refreshReadiness(state, emit);
}
