import { type PlanExcerpt, type PlanLine, planExcerpt } from './plan-excerpt.js';

/** A roster role the manager may assign work to. */
export interface RosterRole {
  role: string;
  agentIds: readonly string[];
}

function roster(roles: readonly RosterRole[]): string {
  return roles.map((entry) => `- ${entry.role} (agents: ${entry.agentIds.join(', ')})`).join('\n');
}

/** The planning request. */
export function composePlanMessage(input: { feature: string; roles: readonly RosterRole[] }): string {
  return [
    '# Request: plan',
    `## Feature\n${input.feature}`,
    `## Roster (assign tasks only to these roles)\n${roster(input.roles)}`,
    'Answer with the plan JSON object as the manager protocol says.',
  ].join('\n\n');
}

/** One line of the plan as the manager reads it: id, role, title and what it waits for. */
function planEntry(line: PlanLine): string {
  const after = line.dependsOn.length === 0 ? '' : ` [after ${line.dependsOn.join(', ')}]`;
  return `- ${line.id} (${line.role}) ${line.title}${after}`;
}

/** The plan as the manager reads it with a blocker: its lines, then what was left out, counted by role. */
function planText(excerpt: PlanExcerpt): string {
  const lines = excerpt.lines.map(planEntry).join('\n');
  if (excerpt.omitted.length === 0) return lines;
  const count = excerpt.omitted.reduce((sum, entry) => sum + entry.count, 0);
  const byRole = excerpt.omitted.map((entry) => `${entry.role} ${entry.count}`).join(', ');
  return `${lines}\n- … and ${count} more planned tasks, not shown: ${byRole}`;
}

/** The plan's section of a blocker's request: the whole plan, or the part nearest the blocked task when it is large. */
function planSection(input: { task: { id: string }; plan: readonly PlanLine[]; near?: readonly string[] | undefined }): string {
  const excerpt = planExcerpt({ plan: input.plan, taskId: input.task.id, near: input.near });
  const heading =
    excerpt.omitted.length === 0
      ? '## The plan'
      : `## The plan around ${input.task.id} (${excerpt.lines.length} of ${input.plan.length} tasks: what it builds on, what waits for it, what is planned next to it)`;
  return `${heading}\n${planText(excerpt)}`;
}

/** The request to resolve one blocker. */
export function composeResolveMessage(input: {
  feature: string;
  roles: readonly RosterRole[];
  task: { id: string; title: string; description: string; role: string; raisedBy: string };
  question: string;
  kind: 'question' | 'loop';
  earlier: readonly { question: string; resolution: string }[];
  /** The plan, without live statuses: the answer should not depend on timing. A large one is shown around the task. */
  plan: readonly PlanLine[];
  /** For a task outside the plan: the ids it depends on and those that wait for it, where its part of the plan starts. */
  near?: readonly string[] | undefined;
  /** Results of the blocked task's dependencies. */
  dependencies: readonly { id: string; title: string; summary: string }[];
}): string {
  const origin =
    input.kind === 'loop'
      ? `The orchestrator raised this because ${input.task.raisedBy} gave the same answer twice in a row on the task:`
      : `${input.task.raisedBy} asks:`;
  return [
    '# Request: resolve a blocker',
    `## Feature\n${input.feature}`,
    `## Blocked task ${input.task.id} (${input.task.role}): ${input.task.title}\n${input.task.description}`,
    `## The blocker\n${origin}\n${input.question}`,
    ...(input.earlier.length === 0
      ? []
      : [`## Resolutions already given on this task\n${input.earlier.map((e) => `- Q: ${e.question}\n  A: ${e.resolution}`).join('\n')}`]),
    ...(input.dependencies.length === 0
      ? []
      : [`## Results the blocked task builds on\n${input.dependencies.map((d) => `- ${d.id} ${d.title}: ${d.summary}`).join('\n')}`]),
    planSection(input),
    `## Roster\n${roster(input.roles)}`,
    'Answer with one resolution JSON object as the manager protocol says.',
  ].join('\n\n');
}
