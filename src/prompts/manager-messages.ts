/** A roster role the manager may assign work to. */
export interface RosterRole {
  role: string;
  agentIds: readonly string[];
}

/** A task of the plan as the manager sees it when resolving. */
export interface PlanLine {
  id: string;
  title: string;
  role: string;
  dependsOn: readonly string[];
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

// The text of each frozen plan: the manager sends the same plan with every blocker of a run.
const planTexts = new WeakMap<readonly PlanLine[], string>();

/** The plan's lines as the manager reads them; made once for a frozen plan (lines and all). */
function planText(plan: readonly PlanLine[]): string {
  const known = planTexts.get(plan);
  if (known !== undefined) return known;
  const text = plan.map(planEntry).join('\n');
  if (Object.isFrozen(plan) && plan.every((line) => Object.isFrozen(line) && Object.isFrozen(line.dependsOn))) planTexts.set(plan, text);
  return text;
}

/** The request to resolve one blocker. */
export function composeResolveMessage(input: {
  feature: string;
  roles: readonly RosterRole[];
  task: { id: string; title: string; description: string; role: string; raisedBy: string };
  question: string;
  kind: 'question' | 'loop';
  earlier: readonly { question: string; resolution: string }[];
  /** The plan, without live statuses: the answer should not depend on timing. */
  plan: readonly PlanLine[];
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
    `## The plan\n${planText(input.plan)}`,
    `## Roster\n${roster(input.roles)}`,
    'Answer with one resolution JSON object as the manager protocol says.',
  ].join('\n\n');
}
