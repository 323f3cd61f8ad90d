/** A blocker's request shows a large plan around the blocked task: what it builds on, what waits for it, its neighbours, and a count of the rest. */
import { describe, expect, it } from 'vitest';
import { composeResolveMessage, PLAN_IN_FULL, type PlanLine, planExcerpt } from '../../src/prompts/index.js';

const ROLES = ['backend_developer', 'frontend_developer', 'qa_tester'];

/** `size` tasks T1…Tn, roles in turn; `dependsOn` gives each task's dependencies by number. */
function plan(size: number, dependsOn: (n: number) => number[] = () => []): PlanLine[] {
  return Array.from({ length: size }, (_, index) => {
    const n = index + 1;
    return {
      id: `T${n}`,
      title: `Part ${n} of the cart`,
      role: ROLES[index % ROLES.length] as string,
      dependsOn: dependsOn(n).map((d) => `T${d}`),
    };
  });
}

function request(lines: readonly PlanLine[], taskId: string, near?: readonly string[]): string {
  return composeResolveMessage({
    feature: 'Add a cart',
    roles: ROLES.map((role) => ({ role, agentIds: [`${role}-1`] })),
    task: { id: taskId, title: 'Blocked', description: 'Build it.', role: 'backend_developer', raisedBy: 'backend-1' },
    question: 'Which currency?',
    kind: 'question',
    earlier: [],
    plan: lines,
    near,
    dependencies: [],
  });
}

function ids(lines: readonly PlanLine[]): string[] {
  return lines.map((line) => line.id);
}

describe('planExcerpt', () => {
  it('is the whole plan up to PLAN_IN_FULL lines, and PLAN_IN_FULL lines with the rest counted by role above', () => {
    const whole = plan(PLAN_IN_FULL);
    expect(planExcerpt({ plan: whole, taskId: 'T5' })).toEqual({ lines: whole, omitted: [] });
    const larger = plan(PLAN_IN_FULL + 30);
    const excerpt = planExcerpt({ plan: larger, taskId: 'T5' });
    expect(excerpt.lines).toHaveLength(PLAN_IN_FULL);
    expect(excerpt.omitted.reduce((sum, entry) => sum + entry.count, 0)).toBe(30);
    for (const role of ROLES) {
      const shown = excerpt.lines.filter((line) => line.role === role).length;
      const left = excerpt.omitted.find((entry) => entry.role === role)?.count ?? 0;
      expect(shown + left).toBe(larger.filter((line) => line.role === role).length);
    }
  });

  it('takes what the task builds on and what waits for it first, however far away in the plan, then its neighbours', () => {
    // T2000 depends on T1 and T3; T2500 and T2999 wait for T2000; T1 depends on T7. Everything else is independent.
    const lines = plan(3000, (n) => ({ 2000: [1, 3], 2500: [2000], 2999: [2000], 1: [7] })[n] ?? []);
    const excerpt = planExcerpt({ plan: lines, taskId: 'T2000', limit: 8 });
    const shown = ids(excerpt.lines);
    expect(shown).toEqual(['T1', 'T3', 'T7', 'T1999', 'T2000', 'T2001', 'T2500', 'T2999']);
    // In plan order, whatever order they were found in.
    expect(excerpt.lines).toEqual([...excerpt.lines].sort((a, b) => lines.indexOf(a) - lines.indexOf(b)));
  });

  it('starts from the tasks near a task outside the plan, such as a prerequisite added later', () => {
    const lines = plan(1000, (n) => (n === 400 ? [900] : []));
    const shown = ids(planExcerpt({ plan: lines, taskId: 'T12.p1', near: ['T400'], limit: 4 }).lines);
    expect(shown).toEqual(['T399', 'T400', 'T401', 'T900']);
  });

  it('keeps a blocker request the same size whatever the size of the plan', () => {
    const small = request(
      plan(1000, (n) => (n > 1 ? [n - 1] : [])),
      'T500',
    );
    const large = request(
      plan(20_000, (n) => (n > 1 ? [n - 1] : [])),
      'T500',
    );
    expect(large.length).toBeLessThan(small.length * 1.1);
    expect(large).toContain(`## The plan around T500 (${PLAN_IN_FULL} of 20000 tasks`);
    expect(large).toContain('- T500 (frontend_developer) Part 500 of the cart [after T499]');
    expect(large).toContain(`- … and ${20_000 - PLAN_IN_FULL} more planned tasks, not shown: backend_developer `);
    // A small plan is shown whole, under its usual heading.
    expect(request(plan(10), 'T5')).toContain('## The plan\n- T1 (backend_developer) Part 1 of the cart\n');
  });
});
