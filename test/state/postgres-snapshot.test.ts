import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { TeamState } from '../../src/state/index.js';
import { diffState } from '../../src/state/postgres-diff.js';
import { COLLECTIONS, entryToRow, type JsonRow, rowToEntry } from '../../src/state/postgres-rows.js';
import { applyRows, assembleState, changedPlaces, entryAt, sameJson } from '../../src/state/postgres-snapshot.js';
import { versionIndex } from '../../src/team/tasks/version-index.js';

describe('sameJson (how an update finds the entries it changed)', () => {
  it('agrees with comparing JSON texts, up to key order', () => {
    const cases: [unknown, unknown][] = [
      [
        { a: 1, b: [1, { c: null }] },
        { b: [1, { c: null }], a: 1 },
      ],
      [{ a: 1, b: undefined }, { a: 1 }],
      [{ a: 1 }, { a: 1, b: null }],
      [
        [1, 2],
        [2, 1],
      ],
      [{ a: [] }, { a: {} }],
      [{ a: '1' }, { a: 1 }],
      [{ a: { b: { c: 'deep' } } }, { a: { b: { c: 'deeper' } } }],
      [null, {}],
    ];
    const canonical = (value: unknown): string =>
      JSON.stringify(value, (_key, item: unknown) =>
        item !== null && typeof item === 'object' && !Array.isArray(item)
          ? Object.fromEntries(Object.entries(item).sort(([left], [right]) => left.localeCompare(right)))
          : item,
      );
    for (const [left, right] of cases) {
      expect(sameJson(left, right), `${JSON.stringify(left)} vs ${JSON.stringify(right)}`).toBe(canonical(left) === canonical(right));
      expect(sameJson(right, left)).toBe(sameJson(left, right));
    }
  });
});

describe('applyRows on a copy that holds the entry a row replaces', () => {
  it('checks only the fields that differ, with the result and the errors of a check of the whole row', async () => {
    const fixture = JSON.parse(await readFile(new URL('../fixtures/state/v1-running.json', import.meta.url), 'utf8')) as TeamState;
    const first = diffState({ base: undefined, state: fixture });
    if (!first.ok) throw new Error(first.problem);
    const base = first.snapshot;
    const spec = COLLECTIONS.find((candidate) => candidate.table === 'tasks');
    const known = entryAt(base.collections.get('tasks'), 'T1');
    if (spec === undefined || known === undefined) throw new Error('the fixture has no task T1');
    const where = 'the test run';
    const variants: ((task: Record<string, unknown>) => void)[] = [
      (task) => {
        task.status = 'done';
        task.result = { summary: 'Did it.', filesChanged: ['src/a.ts'] };
      },
      (task) => {
        task.gates = [{ name: 'tests', round: 1, passed: false, reasons: ['red'] }];
      },
      // A field with a default left out, an unknown field added, a field of the wrong type, a missing required field.
      (task) => {
        delete task.slaMisses;
      },
      (task) => {
        task.note = 'not in the schema';
      },
      (task) => {
        task.fence = 'two';
      },
      (task) => {
        task.status = 'sleeping';
        task.attempts = -1;
      },
      (task) => {
        delete task.title;
      },
      () => undefined,
    ];
    for (const change of variants) {
      const task = structuredClone(known.value) as Record<string, unknown>;
      change(task);
      const row: JsonRow = {
        key: 'T1',
        position: known.position,
        ...entryToRow({ columns: spec.columns, keyField: spec.keyField, entry: task }),
      };
      const rows = [
        { table: 'runs' as const, row: { ...first.changes.run, seq: base.seq + 1 } },
        { table: 'tasks' as const, row },
      ];
      let whole: unknown;
      try {
        whole = rowToEntry({ ...spec, row, rowName: '"T1"', where });
      } catch (error) {
        expect(() => applyRows({ base, rows, where })).toThrow((error as Error).message);
        continue;
      }
      const applied = applyRows({ base, rows, where });
      expect(entryAt(applied.snapshot.collections.get('tasks'), 'T1')?.text).toBe(JSON.stringify(whole));
    }
  });
});

describe('assembleState from the state assembled before', () => {
  it('gives the state a whole assembly gives, and says which places of its lists changed', async () => {
    const fixture = JSON.parse(await readFile(new URL('../fixtures/state/v1-running.json', import.meta.url), 'utf8')) as TeamState;
    const first = diffState({ base: undefined, state: fixture });
    if (!first.ok) throw new Error(first.problem);
    const before = assembleState(first.snapshot);
    const index = versionIndex(before.tasks);
    const changed = structuredClone(fixture);
    const task = changed.tasks[1] as TeamState['tasks'][number];
    task.status = task.status === 'ready' ? 'in_progress' : 'ready';
    task.assignee = task.status === 'in_progress' ? 'backend-1' : null;
    changed.seq += 1;
    const second = diffState({ base: first.snapshot, state: changed });
    if (!second.ok) throw new Error(second.problem);
    const after = assembleState(second.snapshot, { snapshot: first.snapshot, state: before });
    expect(after).toEqual(assembleState(second.snapshot));
    expect(Object.isFrozen(after.tasks)).toBe(true);
    expect(after.tasks[0]).toBe(before.tasks[0]);
    expect(after.messages).toBe(before.messages);
    expect(changedPlaces(after.tasks)).toEqual({ previous: before.tasks, places: [1] });
    // The version index follows those places: the same lists as an index of the tasks made afresh.
    const derived = versionIndex(after.tasks);
    const afresh = versionIndex(Object.freeze([...after.tasks.map((one) => Object.freeze({ ...one }))]));
    expect(index.tasks).toBe(before.tasks);
    expect([...derived.ready]).toEqual([...afresh.ready]);
    expect([...derived.inProgress]).toEqual([...afresh.inProgress]);
    expect([...derived.unfinished]).toEqual([...afresh.unfinished]);
  });
});
