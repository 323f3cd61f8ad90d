import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sameEntryFor } from '../../src/state/postgres-diff.js';
import { deepFreeze, sameJson } from '../../src/state/postgres-snapshot.js';
import { type Task, taskSchema } from '../../src/state/team-state.js';

const stored = deepFreeze(
  taskSchema.parse({
    id: 'T1',
    title: 'Task 1',
    description: 'Do it.',
    role: 'backend_developer',
    assignee: 'dev-1',
    dependsOn: ['T0'],
    files: ['src/a.ts'],
    complexity: 'simple',
    acceptanceCriteria: [],
    status: 'done',
    attempts: 0,
    iterations: 1,
    result: { summary: 'Did it.', filesChanged: ['src/a.ts'] },
    failure: null,
    lastOutput: null,
    createdBy: 'manager',
    gates: [{ name: 'review', passed: true, reasons: [], round: 1 }],
    claimedAt: '2026-01-02T03:04:05.000Z',
    completedAt: '2026-01-02T03:04:06.000Z',
  }),
);

describe('sameEntryFor (how an update finds the list entries it changed)', () => {
  it("agrees with sameJson on every change of a task's fields, at the top and deep down", () => {
    const same = sameEntryFor(taskSchema);
    const changes: ((task: Task) => void)[] = [
      () => undefined,
      (task) => {
        task.status = 'ready';
      },
      (task) => {
        task.files.push('src/b.ts');
      },
      (task) => {
        task.dependsOn[0] = 'T9';
      },
      (task) => {
        task.acceptanceCriteria.push('works');
      },
      (task) => {
        task.result = null;
      },
      (task) => {
        task.result?.filesChanged.pop();
      },
      (task) => {
        (task.gates[0] as Task['gates'][number]).reasons.push('why');
      },
      (task) => {
        task.gates = [];
      },
      (task) => {
        delete (task as Partial<Task>).gates;
      },
      (task) => {
        (task as { files: unknown }).files = {};
      },
      (task) => {
        (task as { result: unknown }).result = ['Did it.'];
      },
      (task) => {
        (task as { fence: unknown }).fence = '0';
      },
      (task) => {
        task.result = { filesChanged: ['src/a.ts'], summary: 'Did it.' };
      },
    ];
    for (const [index, change] of changes.entries()) {
      const entry = JSON.parse(JSON.stringify(stored)) as Task;
      change(entry);
      expect(same(entry, stored), `change ${index}`).toBe(sameJson(entry, stored));
    }
    expect(
      changes.filter((change) => {
        const entry = JSON.parse(JSON.stringify(stored)) as Task;
        change(entry);
        return !same(entry, stored);
      }),
    ).toHaveLength(changes.length - 2);
  });

  it('reads only the fields of a schema that drops unknown keys, and compares whole entries otherwise', () => {
    const entry = { ...(JSON.parse(JSON.stringify(stored)) as Task), note: 'dropped when stored' };
    expect(sameEntryFor(taskSchema)(entry, stored)).toBe(true);
    const loose = z.looseObject({ id: z.string() });
    expect(sameEntryFor(loose)({ id: 'a', note: 'kept when stored' }, { id: 'a' })).toBe(false);
    expect(sameEntryFor(loose)).toBe(sameJson);
  });
});
