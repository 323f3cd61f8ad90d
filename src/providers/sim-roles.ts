import { SeededRandom } from './seeded-random.js';

/** Context of a role agent's task (`agent-team spawn`, `queue run`). */
export interface SimRoleTaskContext {
  role: string;
  task: string;
  directory: string;
  /** Memories the agent was given before working. */
  memories: { type: string; content: string }[];
}

/** A memory as a role agent reports it. */
export interface SimMemory {
  type: 'fact' | 'decision' | 'error' | 'doc' | 'pattern';
  content: string;
  tags: string[];
}

// What a simulated review finds, and what a simulated debugging session blames.
const REVIEW_FINDINGS = [
  'secrets are read from the environment only',
  'error responses leak no stack traces',
  'input validation covers every endpoint',
];
const BUG_CAUSES = ['an unawaited promise', 'a stale cache entry', 'a missing null check'];

function subjectOf(task: string): string {
  return task
    .replace(/[.!]+$/, '')
    .split(/\s+/)
    .slice(0, 8)
    .join(' ');
}

/**
 * The sim's answer for a role agent: a summary and what its role saves to memory
 * (tests save failures as errors, code saves decisions, reviews save findings as
 * facts, docs save docs, debugging saves error resolutions). It cites the memories
 * it was given, so shared memory is visible in its answer.
 */
export function simulateRoleTask(context: SimRoleTaskContext, seed: number): { summary: string; memories: SimMemory[] } {
  const random = SeededRandom.for(seed, 'role-task', context.role, context.task);
  const subject = subjectOf(context.task);
  const count = context.memories.length;
  const known =
    count === 0
      ? ''
      : ` Used ${count} ${count === 1 ? 'memory' : 'memories'}, first: "${(context.memories[0]?.content ?? '').slice(0, 60)}".`;
  const tags = [
    context.role,
    ...subject
      .toLowerCase()
      .split(/\W+/)
      .filter((word) => word.length > 3)
      .slice(0, 2),
  ];
  const saved: Record<string, SimMemory[]> = {
    test: [
      {
        type: 'error',
        content: `Test failure in ${subject}: expected status 401 for a wrong password, got ${random.pick([200, 500])}.`,
        tags,
      },
    ],
    code: [
      {
        type: 'decision',
        content: `For ${subject}: ${random.pick(['keep the service stateless', 'validate input at the boundary', 'use one repository per aggregate'])}.`,
        tags,
      },
    ],
    review: [
      {
        type: 'fact',
        content: `Review of ${subject}: ${random.pick(REVIEW_FINDINGS)}.`,
        tags,
      },
    ],
    docs: [{ type: 'doc', content: `Documented ${subject} in ${context.directory}/README.md.`, tags }],
    debug: [
      {
        type: 'error',
        content: `Resolved in ${subject}: the failure came from ${random.pick(BUG_CAUSES)}; fixed and covered by a test.`,
        tags: [...tags, 'resolved'],
      },
    ],
    orchestrator: [{ type: 'fact', content: `Plan for ${subject}: split into test, code and review work.`, tags }],
  };
  return {
    summary: `${context.role} agent on ${subject}: done.${known}`,
    memories: saved[context.role] ?? [{ type: 'fact', content: `Finding on ${subject}.`, tags }],
  };
}
