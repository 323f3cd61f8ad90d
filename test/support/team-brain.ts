/**
 * Answers a team's model calls in role from the prompt text alone, for tests and
 * benchmarks that put real provider adapters in front of local wire-protocol
 * servers: the manager plans, agents finish (or block once), the manager answers.
 */

/** Which tasks block on their first attempt, and how big a plan is. */
export interface BrainOptions {
  /** Task ids whose first attempt answers `blocked`. */
  blockOnce?: readonly string[];
  /** Tasks per role after the contract task (default 1). */
  tasksPerRole?: number;
  /** Plan exactly this many tasks instead: the contract, then the roles in turn. */
  totalTasks?: number;
}

function rosterRoles(user: string): string[] {
  const section = /## Roster[^\n]*\n([\s\S]*?)(?:\n\n|$)/.exec(user)?.[1] ?? '';
  return [...section.matchAll(/^- (\S+) \(agents:/gm)].map((match) => match[1] as string);
}

/** The JSON answer to one call, judged from the user message the team sent. */
export function answerFor(user: string, options: BrainOptions = {}): unknown {
  if (user.startsWith('# Request: plan')) {
    const roles = rosterRoles(user);
    const [first, ...others] = roles;
    if (first === undefined) throw new Error('no roster in the plan request');
    const tasks: {
      id: string;
      title: string;
      description: string;
      role: string;
      dependsOn: string[];
      files: string[];
      complexity: string;
      acceptanceCriteria: string[];
    }[] = [
      {
        id: 'T1',
        title: 'Define the contract',
        description: 'Write the API contract.',
        role: first,
        dependsOn: [],
        files: ['docs/api.md'],
        complexity: 'medium',
        acceptanceCriteria: ['Contract written'],
      },
    ];
    const perRole = options.totalTasks === undefined ? (options.tasksPerRole ?? 1) : Math.ceil((options.totalTasks - 1) / roles.length);
    for (const role of [first, ...others]) {
      for (let index = 0; index < perRole; index += 1) {
        const id = `T${tasks.length + 1}`;
        tasks.push({
          id,
          title: `${role} work ${index + 1}`,
          description: `Implement part ${index + 1} for ${role}.`,
          role,
          dependsOn: ['T1'],
          files: [`src/${role}-${index + 1}.ts`],
          complexity: index % 2 === 0 ? 'simple' : 'complex',
          acceptanceCriteria: ['Works'],
        });
      }
    }
    return { tasks: options.totalTasks === undefined ? tasks : tasks.slice(0, options.totalTasks) };
  }
  if (user.startsWith('# Request: resolve a blocker')) return { kind: 'answer', answer: 'Use the option the contract describes.' };
  if (user.startsWith('# Request: integrate')) return { summary: 'All parts are in place.', risks: [], followUps: ['Run the suite in CI'] };
  const task = /^# Task (\S+):/.exec(user)?.[1];
  if (task === undefined) throw new Error(`cannot tell what this call is for: ${user.slice(0, 80)}`);
  if ((options.blockOnce ?? []).includes(task) && !user.includes('## Resolutions of your earlier blockers')) {
    return { status: 'blocked', question: `Which error format should ${task} use?` };
  }
  return { status: 'done', summary: `${task} is done.`, filesChanged: [`src/${task}.ts`] };
}

/** The last user text of an Anthropic or OpenAI request body. */
export function lastUserText(messages: readonly { role: string; content: unknown }[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.content)) {
      const text = (message.content as { type: string; text?: string }[]).find((block) => block.type === 'text')?.text;
      if (text !== undefined) return text;
    }
  }
  return '';
}
