/**
 * Tasks no agent can take (seed 004's "agent unavailable"): a role with no roster agent, or none whose
 * provider can be called. They are held blocked with the reason (an alert for manual routing) until an
 * agent of their role is there again; then they go back to waiting for their dependencies.
 */
import type { LedgerEvent, Task, TeamState } from '../../state/index.js';
import { TERMINAL_TASK_STATUSES } from '../../state/index.js';
import { refreshReadiness } from './scheduler.js';

/** The unfinished tasks whose role is not among `routable`, grouped by role. */
export function unroutableTasks(state: TeamState, routable: ReadonlySet<string>): Map<string, Task[]> {
  const byRole = new Map<string, Task[]>();
  for (const task of state.tasks) {
    if (TERMINAL_TASK_STATUSES.has(task.status) || routable.has(task.role)) continue;
    byRole.set(task.role, [...(byRole.get(task.role) ?? []), task]);
  }
  return byRole;
}

/**
 * Holds the unroutable tasks blocked (`hold.reason` no_agent) and releases those whose role is routable
 * again. `reasons` says, per role, why no agent can take it. Returns the held task ids by role.
 */
export function routeTasks(input: {
  state: TeamState;
  routable: ReadonlySet<string>;
  reasons: ReadonlyMap<string, string>;
  now: string;
  emit: (event: LedgerEvent) => void;
}): Map<string, string[]> {
  const { state, routable, now, emit } = input;
  let released = false;
  for (const task of state.tasks) {
    if (task.hold?.reason !== 'no_agent' || !routable.has(task.role)) continue;
    task.hold = null;
    // Back to waiting for its dependencies: the readiness pass below makes it ready when they are done.
    task.status = 'pending';
    released = true;
  }
  if (released) refreshReadiness(state, emit);
  const held = new Map<string, string[]>();
  for (const [role, tasks] of unroutableTasks(state, routable)) {
    const reason = input.reasons.get(role) ?? `no roster agent has role ${role}`;
    const fresh = tasks.filter((task) => task.hold?.reason !== 'no_agent');
    for (const task of tasks) {
      // Only tasks waiting to start are held: work in flight, and tasks blocked for another reason, keep their course.
      if (task.status !== 'pending' && task.status !== 'ready') continue;
      task.status = 'blocked';
      task.hold = { reason: 'no_agent', detail: reason, since: task.hold?.since ?? now };
    }
    if (fresh.length > 0) emit({ type: 'route-fail', role, taskIds: fresh.map((task) => task.id), reason });
    held.set(
      role,
      tasks.map((task) => task.id),
    );
  }
  return held;
}
