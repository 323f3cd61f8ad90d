import { SeededRandom, hashParts } from './seeded-random.js';
import type { SimIntegrateContext, SimResolveContext, SimScenario, SimWorkContext } from './sim-context.js';
import { featureSubject, roleKind, type RoleKind } from './sim-plan.js';

const QUESTIONS: Readonly<Record<RoleKind, readonly string[]>> = {
  backend: [
    'Should sessions be stateless JWTs or server-side sessions stored in the database? The contract allows both.',
    'The contract does not say whether emails are unique case-insensitively. Should "A@x.io" and "a@x.io" be the same account?',
    'Which error code should a duplicate resource return: 409 Conflict or 422 with a field error?',
  ],
  frontend: [
    'The contract does not say how validation errors come back. Should the form map a 422 body to field errors or show one message?',
    'Where should the auth token live in the browser: an httpOnly cookie set by the server, or memory plus refresh?',
    'Is there a design for the empty and error states, or should I follow the existing component library defaults?',
  ],
  mobile: [
    'Should the app cache responses for offline use, and for how long?',
    'Which minimum OS version do we target? It decides which secure storage API I can use.',
  ],
  qa: [
    'Which environment should the end-to-end tests run against, and is there seeded test data?',
    'Is rate limiting in scope for the tests, and what are the limits?',
  ],
  review: [
    'Are we holding this change to the stricter security checklist, or the standard one?',
    'Two tasks chose different error formats. Which one is canonical for the review?',
  ],
  developer: [
    'The description leaves the public interface open. Should the module expose a class or plain functions?',
    'Is there an existing utility I should reuse for this, or should I add a new one?',
  ],
};

const ANSWERS: readonly string[] = [
  'Use the option the contract already leans towards and document it in the contract; consistency across tasks matters more than the choice.',
  'Go with the simpler option now; record the alternative as a follow-up in your summary.',
  'Follow the contract task: it is the source of truth. Where it is silent, choose the conventional behaviour and add it to the contract.',
];

/**
 * Which plan tasks raise a blocker: the configured share of them (rounded, at
 * least one when the rate is above zero), chosen by a seeded hash so the choice
 * does not depend on the order in which agents work.
 */
export function blockedTaskIds(planTaskIds: readonly string[], rate: number, seed: number): ReadonlySet<string> {
  if (rate <= 0 || planTaskIds.length === 0) return new Set();
  // Every work call of a run asks about the same plan: rank it once, not once per call. Calls given the same list
  // (a store's transitions share one per version of the plan) find it without reading it again.
  const setting = `${seed}|${rate}`;
  const known = blockedByList.get(planTaskIds);
  if (known?.setting === setting) return known.ids;
  const key = `${setting}|${planTaskIds.join('\n')}`;
  if (lastBlocked?.key !== key) {
    const count = Math.min(planTaskIds.length, Math.max(1, Math.round(rate * planTaskIds.length)));
    const ranked = [...planTaskIds].sort((a, b) => hashParts(seed, 'blocker', a) - hashParts(seed, 'blocker', b) || a.localeCompare(b));
    lastBlocked = { key, ids: new Set(ranked.slice(0, count)) };
  }
  blockedByList.set(planTaskIds, { setting, ids: lastBlocked.ids });
  return lastBlocked.ids;
}

let lastBlocked: { key: string; ids: ReadonlySet<string> } | undefined;
const blockedByList = new WeakMap<readonly string[], { setting: string; ids: ReadonlySet<string> }>();

/** The sim agent's answer to a work request: done, or a blocker on a first attempt (the scenario's share of tasks). */
export function simulateWork(context: SimWorkContext, scenario: Pick<SimScenario, 'seed' | 'blockerRate'>): Record<string, unknown> {
  const { task } = context;
  const { seed } = scenario;
  const random = SeededRandom.for(seed, 'work', task.id, context.attempt, context.resolutions.length);
  const blocks = blockedTaskIds(context.planTaskIds, scenario.blockerRate, seed).has(task.id);
  if (blocks && context.resolutions.length === 0) {
    return { status: 'blocked', question: random.pick(QUESTIONS[roleKind(task.role)]) };
  }
  const after = context.resolutions.length > 0 ? " Applied the manager's resolution." : '';
  const built = context.dependencyTitles.length > 0 ? ` Built on: ${context.dependencyTitles.join('; ')}.` : '';
  return {
    status: 'done',
    summary: `${task.title}: done. ${task.description}${built}${after}`,
    filesChanged: task.files,
    notes: `Acceptance criteria checked for ${task.id}.`,
  };
}

/** The sim manager's resolution of a blocker. */
export function simulateResolution(context: SimResolveContext, seed: number): Record<string, unknown> {
  const random = SeededRandom.for(seed, 'resolve', context.blockerId);
  const answer = random.pick(ANSWERS);
  if (context.kind === 'loop') {
    return { kind: 'answer', answer: `You are repeating yourself. ${answer} Then report done.` };
  }
  if (random.next() < 0.25) {
    return {
      kind: 'new_task',
      answer: `Good catch: this needs a decision recorded before you continue. ${answer}`,
      task: {
        title: `Decide and document: ${context.question.replace(/^T[\w.-]+:\s*/, '').slice(0, 60)}`,
        description: `Record the decision for ${context.task.id} in the contract so every task follows it.`,
        role: context.task.role,
        files: [`docs/decisions/${context.blockerId.toLowerCase()}.md`],
        complexity: 'simple',
        acceptanceCriteria: ['The decision and its reason are written down'],
      },
    };
  }
  return { kind: 'answer', answer };
}

/** The sim manager's integration summary. */
export function simulateIntegration(context: SimIntegrateContext): Record<string, unknown> {
  const { subject } = featureSubject(context.feature);
  const done = context.tasks.filter((task) => task.status === 'done');
  const notDone = context.tasks.filter((task) => task.status !== 'done');
  return {
    summary:
      `${subject}: ${done.length} of ${context.tasks.length} tasks done. ` +
      done.map((task) => `${task.id} ${task.title}`).join('; ') +
      '.',
    risks: notDone.map((task) => `${task.id} ${task.title} is ${task.status}`),
    followUps: ['Run the full test suite in CI before merging', 'Review the decisions recorded during the run'],
  };
}
