import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readFile } from 'node:fs/promises';
import { diffState, sameEntryFor } from '../../src/state/postgres-diff.js';
import { workingCopyOf } from '../../src/state/postgres-working-copy.js';
import { deepFreeze, sameJson } from '../../src/state/postgres-snapshot.js';
import { type Task, type TeamState, taskSchema } from '../../src/state/team-state.js';

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

describe('diffState on a working copy (the entries an update reached, and entries appended after them)', () => {
  it('finds the same changes and new snapshot as a diff that looks at every entry', async () => {
    const fixture = JSON.parse(await readFile(new URL('../fixtures/state/v1-running.json', import.meta.url), 'utf8')) as TeamState;
    const first = diffState({ base: undefined, state: fixture });
    if (!first.ok) throw new Error(first.problem);
    const message = (id: string) => ({
      id,
      from: 'backend-1',
      to: 'manager',
      taskId: null,
      body: `about ${id}`,
      at: '2026-01-02T03:04:05.000Z',
    });
    const changes: ((state: TeamState) => void)[] = [
      (state) => {
        state.messages.push(message('M1'), message('M2'));
      },
      (state) => {
        (state.tasks[0] as Task).status = 'in_progress';
        state.messages.push(message('M3'));
      },
      // An appended id already used, twice the same new id, an entry without an id: the general way says what is wrong.
      (state) => {
        state.tasks.push(structuredClone(state.tasks[0] as Task));
      },
      (state) => {
        state.messages.push(message('M4'), message('M4'));
      },
      (state) => {
        state.messages.push({ body: 'no id' } as never);
      },
      (state) => {
        state.messages.push({ ...message('M5'), at: 42 } as never);
      },
    ];
    for (const change of changes) {
      const copy = workingCopyOf(first.snapshot);
      change(copy.state);
      const fast = diffState({ base: first.snapshot, state: copy.state, tracked: copy.tracked });
      const general = diffState({ base: first.snapshot, state: structuredClone(copy.state) });
      expect(fast.ok).toBe(general.ok);
      if (!fast.ok || !general.ok) {
        expect(fast).toEqual(general);
        continue;
      }
      expect(fast.changes).toEqual(general.changes);
      for (const [table, collection] of general.snapshot.collections) {
        expect(fast.snapshot.collections.get(table)?.entries.map((entry) => entry.text)).toEqual(
          collection.entries.map((entry) => entry.text),
        );
      }
    }
  });
});
