import type { Plan } from './answer-schemas.js';

/**
 * Checks what a schema cannot: unique ids, dependencies that exist, no cycles,
 * and roles that the roster has. Returns the problems, empty when the plan is sound.
 */
export function planProblems(plan: Plan, input: { workerRoles: readonly string[]; managerRole: string }): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  plan.tasks.forEach((task, index) => {
    if (ids.has(task.id)) problems.push(`tasks.${index}.id: duplicate id "${task.id}"`);
    ids.add(task.id);
    if (task.role === input.managerRole) {
      problems.push(`tasks.${index}.role: "${task.role}" is the manager's own role; assign a role agent`);
    } else if (!input.workerRoles.includes(task.role)) {
      problems.push(`tasks.${index}.role: unknown role "${task.role}"; expected one of ${input.workerRoles.join(', ')}`);
    }
  });
  plan.tasks.forEach((task, index) => {
    task.dependsOn.forEach((dependency, position) => {
      if (!ids.has(dependency)) {
        problems.push(`tasks.${index}.dependsOn.${position}: "${dependency}" is not a task id in this plan`);
      } else if (dependency === task.id) {
        problems.push(`tasks.${index}.dependsOn.${position}: task ${task.id} depends on itself`);
      }
    });
  });
  const cycle = findCycle(plan.tasks.map((task) => ({ id: task.id, dependsOn: task.dependsOn.filter((d) => ids.has(d) && d !== task.id) })));
  if (cycle !== null) problems.push(`dependsOn: the dependencies form a cycle: ${cycle.join(' -> ')}`);
  return problems;
}

/** The first dependency cycle found, as a path that ends where it starts, or null. */
export function findCycle(tasks: readonly { id: string; dependsOn: readonly string[] }[]): string[] | null {
  const edges = new Map(tasks.map((task) => [task.id, task.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      const found = visit(next);
      if (found !== null) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const task of tasks) {
    const found = visit(task.id);
    if (found !== null) return found;
  }
  return null;
}
