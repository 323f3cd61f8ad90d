import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/team/tasks/answer-schemas.js';
import { dependencyOrder, findCycle, longestChains } from '../../../src/state/index.js';
import { planProblems } from '../../../src/team/tasks/plan-graph.js';
import { plannedTask } from '../../support/team-fixture.js';

const roster = { workerRoles: ['backend_developer', 'frontend_developer', 'qa_tester'], managerRole: 'team_manager' };

function plan(...tasks: Parameters<typeof plannedTask>[0][]): Plan {
  return { tasks: tasks.map(plannedTask) };
}

describe('planProblems', () => {
  it('finds nothing wrong with a sound plan', () => {
    const sound = plan(
      { id: 'T1', role: 'backend_developer' },
      { id: 'T2', role: 'backend_developer', dependsOn: ['T1'] },
      { id: 'T3', role: 'frontend_developer', dependsOn: ['T1'] },
      { id: 'T4', role: 'qa_tester', dependsOn: ['T2', 'T3'] },
    );
    expect(planProblems(sound, roster)).toEqual([]);
  });

  it('reports a duplicate id at the position of the second use', () => {
    const problems = planProblems(plan({ id: 'T1', role: 'backend_developer' }, { id: 'T1', role: 'qa_tester' }), roster);
    expect(problems).toEqual(['tasks.1.id: duplicate id "T1"']);
  });

  it('reports an unknown role and names the roles it expected', () => {
    const problems = planProblems(plan({ id: 'T1', role: 'designer' }), roster);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('tasks.0.role: unknown role "designer"');
    expect(problems[0]).toContain('backend_developer, frontend_developer, qa_tester');
  });

  it("refuses tasks for the manager's own role", () => {
    const problems = planProblems(plan({ id: 'T1', role: 'team_manager' }), roster);
    expect(problems).toEqual([`tasks.0.role: "team_manager" is the manager's own role; assign a role agent`]);
  });

  it('reports a dependency on a task that is not in the plan', () => {
    const problems = planProblems(plan({ id: 'T1', role: 'qa_tester', dependsOn: ['T9'] }), roster);
    expect(problems).toEqual(['tasks.0.dependsOn.0: "T9" is not a task id in this plan']);
  });

  it('reports a self-dependency once, not also as a cycle', () => {
    const problems = planProblems(plan({ id: 'T1', role: 'qa_tester' }, { id: 'T2', role: 'qa_tester', dependsOn: ['T1', 'T2'] }), roster);
    expect(problems).toEqual(['tasks.1.dependsOn.1: task T2 depends on itself']);
  });

  it('reports a cycle with its path', () => {
    const problems = planProblems(
      plan({ id: 'T1', role: 'backend_developer', dependsOn: ['T2'] }, { id: 'T2', role: 'frontend_developer', dependsOn: ['T1'] }),
      roster,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('T1 -> T2 -> T1');
  });

  it('reports every kind of problem of one plan together', () => {
    const problems = planProblems(
      plan(
        { id: 'A', role: 'team_manager', dependsOn: ['B'] },
        { id: 'B', role: 'designer', dependsOn: ['A', 'Z'] },
        { id: 'C', role: 'qa_tester' },
        { id: 'C', role: 'qa_tester' },
      ),
      roster,
    );
    expect(problems).toEqual([
      `tasks.0.role: "team_manager" is the manager's own role; assign a role agent`,
      expect.stringContaining('tasks.1.role: unknown role "designer"'),
      'tasks.3.id: duplicate id "C"',
      'tasks.1.dependsOn.1: "Z" is not a task id in this plan',
      expect.stringContaining('A -> B -> A'),
    ]);
  });
});

describe('findCycle', () => {
  it('returns a 3-cycle as a path that ends where it starts', () => {
    const cycle = findCycle([
      { id: 'A', dependsOn: ['B'] },
      { id: 'B', dependsOn: ['C'] },
      { id: 'C', dependsOn: ['A'] },
    ]);
    expect(cycle).toEqual(['A', 'B', 'C', 'A']);
  });

  it('returns only the cycle, not the path that led to it', () => {
    const cycle = findCycle([
      { id: 'start', dependsOn: ['B'] },
      { id: 'B', dependsOn: ['C'] },
      { id: 'C', dependsOn: ['D'] },
      { id: 'D', dependsOn: ['B'] },
    ]);
    expect(cycle).toEqual(['B', 'C', 'D', 'B']);
  });

  it('returns null for a diamond, which shares dependencies without a cycle', () => {
    expect(
      findCycle([
        { id: 'A', dependsOn: [] },
        { id: 'B', dependsOn: ['A'] },
        { id: 'C', dependsOn: ['A'] },
        { id: 'D', dependsOn: ['B', 'C'] },
      ]),
    ).toBeNull();
  });
});

describe('dependencyOrder and longestChains', () => {
  const tasks = [
    { id: 'C', dependsOn: ['B'] },
    { id: 'A', dependsOn: [] },
    { id: 'B', dependsOn: ['A'] },
    { id: 'D', dependsOn: [] },
  ];

  it('keeps the given order except that dependencies come first', () => {
    expect(dependencyOrder(tasks).map((task) => task.id)).toEqual(['A', 'B', 'C', 'D']);
  });

  it('measures the longest chain of work from each task to the end', () => {
    const weights: Record<string, number> = { A: 5, B: 1, C: 2, D: 4 };
    expect(Object.fromEntries(longestChains(tasks, (task) => weights[task.id] ?? 0))).toEqual({ A: 8, B: 3, C: 2, D: 4 });
  });
});
