import { describe, expect, it } from 'vitest';
import type { TeamState } from '../../../src/state/index.js';
import { chainLengths, fileConflict, nextTaskFor } from '../../../src/team/tasks/scheduler.js';
import { newTask } from '../../../src/team/tasks/task-factory.js';
import { plannedTask } from '../../support/team-fixture.js';

function stateWith(tasks: ReturnType<typeof plannedTask>[], ready: readonly string[]): TeamState {
  return {
    agents: {
      dev: {
        id: 'dev',
        role: 'backend_developer',
        provider: 'sim',
        model: 'm',
        status: 'idle',
        pid: null,
        host: null,
        heartbeatAt: null,
        activeTasks: [],
        maxConcurrentTasks: 1,
        usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
        costUsd: 0,
        calls: 0,
        stopReason: null,
      },
    },
    tasks: tasks.map((task) => newTask({ task, createdBy: 'manager', status: ready.includes(task.id) ? 'ready' : 'pending' })),
  } as unknown as TeamState;
}

describe('which ready task an agent takes first', () => {
  const plan = [
    plannedTask({ id: 'A', role: 'backend_developer', complexity: 'simple' }),
    plannedTask({ id: 'B', role: 'backend_developer', complexity: 'simple' }),
    plannedTask({ id: 'C', role: 'backend_developer', complexity: 'simple', dependsOn: ['B'] }),
    plannedTask({ id: 'D', role: 'backend_developer', complexity: 'complex', dependsOn: ['C'] }),
    plannedTask({ id: 'E', role: 'backend_developer', complexity: 'complex' }),
  ];

  it('measures the chain of work behind each task, weighted by complexity', () => {
    const lengths = chainLengths(stateWith(plan, []).tasks);
    expect(Object.fromEntries(lengths)).toEqual({ A: 1, B: 5, C: 4, D: 3, E: 3 });
  });

  it('starts the task heading the longest chain, not the first in plan order', () => {
    expect(nextTaskFor(stateWith(plan, ['A', 'B', 'E']), 'dev')?.id).toBe('B');
    // Ties go to plan order.
    expect(nextTaskFor(stateWith(plan, ['A', 'E']), 'dev')?.id).toBe('E');
    expect(
      nextTaskFor(
        stateWith([plan[0], plannedTask({ id: 'F', role: 'backend_developer', complexity: 'simple' })] as never, ['A', 'F']),
        'dev',
      )?.id,
    ).toBe('A');
  });

  it('still gives an agent its own returned task first', () => {
    const state = stateWith(plan, ['A', 'B']);
    const own = state.tasks.find((task) => task.id === 'A');
    if (own !== undefined) own.assignee = 'dev';
    expect(nextTaskFor(state, 'dev')?.id).toBe('A');
  });
});

describe('files held by a task in review', () => {
  it('a task whose change is not merged yet still holds its files: an overlapping task waits for it', () => {
    const plan = [
      plannedTask({ id: 'A', role: 'backend_developer', files: ['src/session.ts'] }),
      plannedTask({ id: 'B', role: 'backend_developer', files: ['src/session.ts', 'src/b.ts'] }),
      plannedTask({ id: 'C', role: 'backend_developer', files: ['src/c.ts'] }),
    ];
    const state = stateWith(plan, ['B', 'C']);
    const a = state.tasks.find((task) => task.id === 'A');
    if (a === undefined) throw new Error('no A');
    const b = state.tasks.find((task) => task.id === 'B');
    for (const status of ['in_progress', 'review'] as const) {
      a.status = status;
      expect(fileConflict(state, b as never)).toEqual({ taskId: 'A', files: ['src/session.ts'] });
      expect(nextTaskFor(state, 'dev')?.id).toBe('C');
    }
    a.status = 'done';
    expect(fileConflict(state, b as never)).toBeUndefined();
  });
});
