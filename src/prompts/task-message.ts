/** A task as an agent reads it. */
export interface TaskBrief {
  id: string;
  title: string;
  description: string;
  files: readonly string[];
  acceptanceCriteria: readonly string[];
}

/** The result of a finished dependency. */
export interface DependencyResult {
  id: string;
  title: string;
  summary: string;
  filesChanged: readonly string[];
  notes?: string | undefined;
}

/** A resolved blocker on the task. */
export interface BlockerResolution {
  question: string;
  resolution: string;
  /** Set when a person answered instead of the manager: who. */
  person?: string | undefined;
}

/** Why a gate failed the task's previous change. */
export interface GateFeedback {
  gate: string;
  reasons: readonly string[];
}

function list(items: readonly string[], empty: string): string {
  return items.length === 0 ? empty : items.map((item) => `- ${item}`).join('\n');
}

/** Said before the dependency results once any of them was shortened to fit the model's context window. */
export const SHORTENED_RESULTS_NOTE =
  "(Some results below were shortened to fit the model's context window: the files they changed hold the full work; read them when you need more.)";

/** One dependency's result as the task message shows it (its files changed come before the summary, so a shortened entry keeps them). */
export function dependencyEntry(dependency: DependencyResult): string {
  return [
    `### ${dependency.id}: ${dependency.title}`,
    `Files changed: ${dependency.filesChanged.length === 0 ? '(none)' : dependency.filesChanged.join(', ')}`,
    dependency.summary,
    ...(dependency.notes === undefined || dependency.notes === '' ? [] : [`Notes: ${dependency.notes}`]),
  ].join('\n');
}

/**
 * The per-task user message: the task, its dependencies' results and its
 * resolutions. It follows the cached system prompt and changes on every call.
 */
export function composeTaskMessage(input: {
  task: TaskBrief;
  dependencies: readonly DependencyResult[];
  resolutions: readonly BlockerResolution[];
  gateFeedback?: readonly GateFeedback[] | undefined;
}): string {
  const { task } = input;
  const sections = [
    `# Task ${task.id}: ${task.title}`,
    task.description,
    `## Acceptance criteria\n${list(task.acceptanceCriteria, '- (none given: use your judgement and say what you checked)')}`,
    `## Files you are expected to touch\n${list(task.files, '- (not specified)')}`,
  ];
  if (input.dependencies.length > 0) {
    const results = input.dependencies.map(dependencyEntry);
    sections.push(`## Results of the tasks this one depends on\n${results.join('\n\n')}`);
  }
  if (input.resolutions.length > 0) {
    const resolved = input.resolutions.map(
      (item, index) =>
        `${index + 1}. You asked: ${item.question}\n   ${item.person === undefined ? 'The manager' : `A person (${item.person})`} decided: ${item.resolution}`,
    );
    sections.push(`## Resolutions of your earlier blockers (apply them; do not ask again)\n${resolved.join('\n')}`);
  }
  if (input.gateFeedback !== undefined && input.gateFeedback.length > 0) {
    const failed = input.gateFeedback.map((item) => `### ${item.gate}\n${list(item.reasons, '- (no reason given)')}`);
    const points = failed.join('\n\n');
    sections.push(
      '## Your last change was not merged: these gates failed it\n' +
        `Your files are as you left them. Fix every point below, then answer done again; a second failure fails the task.\n\n${points}`,
    );
  }
  sections.push('Answer with one JSON object as the team protocol says.');
  return sections.join('\n\n');
}
