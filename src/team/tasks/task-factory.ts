import type { LedgerEvent, Task, TeamState } from '../../state/index.js';
import type { PlannedTask } from './answer-schemas.js';
import { refreshReadiness } from './scheduler.js';

/** A task of the state, fresh: unassigned, no attempts, no result. */
export function newTask(input: { task: PlannedTask; createdBy: string; status: 'pending' | 'ready' }): Task {
  return {
    ...structuredClone(input.task),
    assignee: null,
    fence: 0,
    status: input.status,
    attempts: 0,
    iterations: 0,
    result: null,
    failure: null,
    lastOutput: null,
    createdBy: input.createdBy,
    waitingFor: null,
    slaMisses: 0,
    hold: null,
    branch: null,
    commit: null,
    merge: null,
    gates: [],
    wip: null,
    claimedAt: null,
    completedAt: null,
  };
}

/** Puts the manager's plan into the state and starts the run: tasks without dependencies become ready. */
export function applyPlan(input: {
  state: TeamState;
  tasks: readonly PlannedTask[];
  managerId: string;
  now: string;
  emit: (event: LedgerEvent) => void;
}): void {
  const { state } = input;
  state.tasks = input.tasks.map((task) => newTask({ task, createdBy: input.managerId, status: 'pending' }));
  // A run stopped while its plan was made (its planning call went past the budget hold) stays stopped.
  if (state.run.status === 'planning') state.run.status = 'running';
  state.run.updatedAt = input.now;
  input.emit({ type: 'plan-create', agentId: input.managerId, taskIds: state.tasks.map((task) => task.id) });
  refreshReadiness(state, input.emit);
}
