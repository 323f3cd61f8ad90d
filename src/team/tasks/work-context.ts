import type { BlockerResolution, DependencyResult } from '../../prompts/index.js';
import { type Blocker, plainList, type Task, type TeamState } from '../../state/index.js';
import { taskById } from './task-lookup.js';

/** The facts of a task a provider may see in a call's context: what it is, not how the team tracks it. */
export function taskFacts(task: Task): Pick<Task, 'id' | 'title' | 'description' | 'role' | 'files' | 'complexity'> {
  return { id: task.id, title: task.title, description: task.description, role: task.role, files: task.files, complexity: task.complexity };
}

/** The results of a task's dependencies, for its prompt. */
export function dependencyResults(state: Pick<TeamState, 'tasks'>, task: Task): DependencyResult[] {
  return task.dependsOn.flatMap((id) => {
    const dependency = taskById(state.tasks, id);
    return dependency === undefined ? [] : dependencyResult(dependency);
  });
}

/** A finished dependency's result for a prompt: none while it has none. */
export function dependencyResult(dependency: Task): DependencyResult[] {
  if (dependency.result == null) return [];
  return [
    {
      id: dependency.id,
      title: dependency.title,
      summary: dependency.result.summary,
      filesChanged: dependency.result.filesChanged,
      notes: dependency.result.notes,
    },
  ];
}

/** The resolved blockers of a task, oldest first. */
export function taskResolutions(state: { readonly blockers: readonly Blocker[] }, taskId: string): BlockerResolution[] {
  // Read from the plain entries (see plainList): nothing here changes a blocker.
  return plainList(state.blockers)
    .filter((blocker) => blocker.taskId === taskId && blocker.status === 'resolved' && blocker.resolution !== null)
    .map((blocker) => ({
      question: blocker.question,
      resolution: blocker.resolution as string,
      ...(blocker.resolver === 'person' && blocker.resolvedBy !== null ? { person: blocker.resolvedBy } : {}),
    }));
}

/** Normalizes an answer for loop detection: same meaning, same string. */
export function normalizeOutput(value: unknown): string {
  return JSON.stringify(value).toLowerCase().replace(/\s+/g, ' ').trim();
}
