import type { LedgerEvent, Task, TeamState } from '../state/index.js';
import { TERMINAL_TASK_STATUSES } from '../state/index.js';

type Emit = (event: LedgerEvent) => void;

/**
 * Moves pending tasks whose dependencies are all done to ready, and cancels tasks
 * whose dependencies failed or were cancelled. Repeats until nothing changes.
 */
export function refreshReadiness(state: TeamState, emit: Emit): void {
  const byId = new Map(state.tasks.map((task) => [task.id, task]));
  let changed = true;
  while (changed) {
    changed = false;
    for (const task of state.tasks) {
      if (task.status !== 'pending') continue;
      const dependencies = task.dependsOn.map((id) => byId.get(id));
      const broken = dependencies.find((dependency) => dependency === undefined || dependency.status === 'failed' || dependency.status === 'cancelled');
      if (broken !== undefined || dependencies.some((d) => d === undefined)) {
        task.status = 'cancelled';
        task.failure = `dependency ${broken?.id ?? '(missing)'} ${broken?.status ?? 'does not exist'}`;
        emit({ type: 'task-end', agentId: 'scheduler', taskId: task.id, status: 'cancelled', detail: task.failure });
        changed = true;
      } else if (dependencies.every((dependency) => dependency?.status === 'done')) {
        task.status = 'ready';
        emit({ type: 'task-ready', taskId: task.id });
        changed = true;
      }
    }
  }
}

/** True when every task has reached done, failed or cancelled. */
export function allTasksFinished(state: TeamState): boolean {
  return state.tasks.length > 0 && state.tasks.every((task) => TERMINAL_TASK_STATUSES.has(task.status));
}

/** The task an agent should take next, or undefined: its own resumed work first, then plan order. */
export function nextTaskFor(state: TeamState, agentId: string): Task | undefined {
  const agent = state.agents[agentId];
  if (agent === undefined || agent.status === 'stopped') return undefined;
  if (agent.activeTasks.length >= agent.maxConcurrentTasks) return undefined;
  let fallback: Task | undefined;
  for (const task of state.tasks) {
    if (task.status !== 'ready' || task.role !== agent.role) continue;
    if (task.assignee === agentId) return task;
    // A task whose assignee stopped (silent, out of iterations or budget) is anyone's.
    const free = task.assignee === null || state.agents[task.assignee]?.status === 'stopped';
    if (free && fallback === undefined) fallback = task;
  }
  return fallback;
}

/** Ready tasks of a role that no live agent of that role can take. */
export function orphanedTasks(state: TeamState): Task[] {
  const liveRoles = new Set(
    Object.values(state.agents)
      .filter((agent) => agent.status !== 'stopped')
      .map((agent) => agent.role),
  );
  return state.tasks.filter((task) => !TERMINAL_TASK_STATUSES.has(task.status) && !liveRoles.has(task.role));
}
