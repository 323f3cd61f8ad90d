import { findCycle } from '../../state/index.js';
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
  const cycle = findCycle(
    plan.tasks.map((task) => ({ id: task.id, dependsOn: task.dependsOn.filter((d) => ids.has(d) && d !== task.id) })),
  );
  if (cycle !== null) problems.push(`dependsOn: the dependencies form a cycle: ${cycle.join(' -> ')}`);
  return problems;
}
