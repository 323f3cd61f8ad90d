/**
 * The file store validates and serializes only what changed: the text is the
 * same as a whole-state write, unchanged entries are kept as they were, changed
 * ones are validated, and another process's change is taken in without a full
 * validation of what it left alone.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type TeamState, teamStateSchema } from '../../src/state/index.js';
import { jsonEqual, StatePieces } from '../../src/state/state-pieces.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'state');

/** The fixture with the most tasks. */
async function largestFixture(): Promise<unknown> {
  const sorted = (await validFixtures()).sort((a, b) => (b.value as TeamState).tasks.length - (a.value as TeamState).tasks.length);
  const largest = sorted[0];
  if (largest === undefined || (largest.value as TeamState).tasks.length < 2) throw new Error('no state fixture with two tasks or more');
  return largest.value;
}

/** The valid v1 fixtures (the ones a store reads), as parsed JSON. */
async function validFixtures(): Promise<{ name: string; value: unknown }[]> {
  const found: { name: string; value: unknown }[] = [];
  for (const name of (await readdir(FIXTURES)).filter((file) => file.endsWith('.json') && file !== 'expected.json')) {
    const value = JSON.parse(await readFile(join(FIXTURES, name), 'utf8')) as unknown;
    if (teamStateSchema.safeParse(value).success) found.push({ name, value });
  }
  return found;
}

/** What a whole-state write gives: the one format of the state file. */
function wholeText(value: unknown): string {
  return `${JSON.stringify(teamStateSchema.parse(value), null, 2)}\n`;
}

describe('StatePieces', () => {
  it('writes byte for byte what a whole-state write gives, fresh and after changes', async () => {
    const fixtures = await validFixtures();
    expect(fixtures.length).toBeGreaterThan(0);
    for (const { value } of fixtures) {
      const pieces = new StatePieces(teamStateSchema);
      const first = pieces.settle(value, undefined);
      expect(first?.bytes.toString('utf8')).toBe(wholeText(value));
      const work = structuredClone(first?.state) as TeamState;
      work.seq += 1;
      work.run.endReason = 'changed "here" \n and there';
      if (work.tasks[0] !== undefined) work.tasks[0].gates.push({ name: 'security', passed: false, reasons: ['ü'], round: 1 });
      for (const agent of Object.values(work.agents)) agent.activeTasks.push('T-new');
      work.messages.push({ id: 'm-new', from: 'a', to: 'b', taskId: null, body: 'hello', at: '2026-01-01T00:00:00.000Z' });
      const second = pieces.settle(work, first?.state);
      expect(second?.bytes.toString('utf8')).toBe(wholeText(work));
    }
  });

  it('keeps unchanged entries as they were and gives changed ones as new, validated objects', async () => {
    const value = await largestFixture();
    const pieces = new StatePieces(teamStateSchema);
    const first = pieces.settle(value, undefined);
    const base = first?.state as TeamState;
    const work = structuredClone(base);
    work.tasks[1] = { ...(work.tasks[1] as TeamState['tasks'][number]), attempts: 7 };
    const second = pieces.settle(work, base)?.state as TeamState;
    expect(second.tasks[0]).toBe(base.tasks[0]);
    expect(second.tasks[1]).not.toBe(base.tasks[1]);
    expect(second.tasks[1]).not.toBe(work.tasks[1]);
    expect(second.tasks[1]?.attempts).toBe(7);
    // The settled state shares nothing with the copy that was changed.
    (work.tasks[1] as { attempts: number }).attempts = 9;
    expect(second.tasks[1]?.attempts).toBe(7);
  });

  it('refuses a changed entry that breaks the schema, and a broken rest', async () => {
    const value = await largestFixture();
    const pieces = new StatePieces(teamStateSchema);
    const base = pieces.settle(value, undefined)?.state as TeamState;
    const badAgent = structuredClone(base) as unknown as { agents: Record<string, { calls: number }> };
    const firstAgent = Object.keys(badAgent.agents)[0] as string;
    (badAgent.agents[firstAgent] as { calls: number }).calls = -1;
    expect(pieces.settle(badAgent, base)).toBeUndefined();
    const badRest = structuredClone(base) as unknown as { version: number };
    badRest.version = 99;
    expect(pieces.settle(badRest, base)).toBeUndefined();
    expect(pieces.adopt(badRest, base)).toBeUndefined();
  });

  it('fills in defaults of new entries and drops unknown keys, as the whole schema does', () => {
    const schema = z.object({
      seq: z.number(),
      items: z.array(z.object({ id: z.string(), tags: z.array(z.string()).default([]) })),
      byName: z.record(z.string(), z.object({ n: z.number() })),
    });
    const pieces = new StatePieces(schema);
    const value = { seq: 1, items: [{ id: 'a', extra: true }], byName: { x: { n: 1, junk: 'y' } }, unknown: 1 };
    const settled = pieces.settle(value, undefined);
    expect(settled?.bytes.toString('utf8')).toBe(`${JSON.stringify(schema.parse(value), null, 2)}\n`);
    const work = value as unknown as z.infer<typeof schema>;
    pieces.align(work, settled?.state as z.infer<typeof schema>, undefined);
    // After align the working copy equals the settled state, so the next settle finds nothing changed.
    expect(jsonEqual(work.items, settled?.state.items)).toBe(true);
    expect(jsonEqual(work.byName, settled?.state.byName)).toBe(true);
  });

  it('compares as JSON does', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(jsonEqual({ a: [] }, { a: {} })).toBe(false);
    expect(jsonEqual({ a: null }, { a: {} })).toBe(false);
    expect(jsonEqual({ a: '1' }, { a: 1 })).toBe(false);
  });
});

describe('FileStore with a state written piece by piece', () => {
  it('takes in what another store wrote, and writes what a whole-state write gives', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { FileStore } = await import('../../src/state/index.js');
    const directory = await mkdtemp(join(tmpdir(), 'agent-team-pieces-'));
    try {
      const file = join(directory, 'team-communication.json');
      const value = await largestFixture();
      await writeFile(file, wholeText(value));
      const one = new FileStore<TeamState, { type: string }>({ file, schema: teamStateSchema });
      const two = new FileStore<TeamState, { type: string }>({ file, schema: teamStateSchema });
      await one.update((state) => {
        (state.tasks[0] as { attempts: number }).attempts = 5;
      });
      await two.update((state) => {
        (state.tasks[1] as { attempts: number }).attempts = 6;
      });
      await one.update((state) => {
        state.run.endReason = 'one';
      });
      for (const store of [one, two]) {
        const state = await store.read();
        expect(state.tasks.map((task) => task.attempts).slice(0, 2)).toEqual([5, 6]);
        expect(state.run.endReason).toBe('one');
        expect(Object.isFrozen(state.tasks[0])).toBe(true);
      }
      const text = await readFile(file, 'utf8');
      expect(text).toBe(wholeText(JSON.parse(text)));
      expect((JSON.parse(text) as TeamState).seq).toBe((value as TeamState).seq + 3);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('StatePieces on schemas it cannot split', () => {
  it('validates collections with checks of their own, and refined objects, as a whole', () => {
    const bounded = z.object({ seq: z.number(), items: z.array(z.object({ id: z.string() })).min(1) });
    expect(new StatePieces(bounded).settle({ seq: 1, items: [] }, undefined)).toBeUndefined();
    const refined = z
      .object({ seq: z.number(), items: z.array(z.object({ id: z.string() })) })
      .refine((value) => value.items.length < 2, 'at most one item');
    const pieces = new StatePieces(refined);
    expect(pieces.settle({ seq: 1, items: [{ id: 'a' }, { id: 'b' }] }, undefined)).toBeUndefined();
    expect(pieces.settle({ seq: 1, items: [{ id: 'a' }] }, undefined)?.bytes.toString('utf8')).toBe(
      `${JSON.stringify({ seq: 1, items: [{ id: 'a' }] }, null, 2)}\n`,
    );
  });
});

describe('FileStore keeping its working copy between commits', () => {
  it('gives the next update the state as written: defaults filled in, unknown keys gone, returned copies detached', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { FileStore } = await import('../../src/state/index.js');
    const schema = z.object({
      seq: z.number(),
      run: z.object({ name: z.string(), owner: z.string().nullable().default(null) }),
      items: z.array(z.object({ id: z.string(), tags: z.array(z.string()).default([]) })),
    });
    type Board = z.infer<typeof schema>;
    const directory = await mkdtemp(join(tmpdir(), 'agent-team-work-copy-'));
    try {
      const store = new FileStore<Board, { type: string }>({
        file: join(directory, 'board.json'),
        schema,
        initial: () => ({ seq: 0, run: { name: 'a', owner: null }, items: [] }),
      });
      await store.update((state) => {
        state.run = { name: 'b', extra: 1 } as unknown as Board['run'];
        state.items.push({ id: 'x', junk: true } as unknown as Board['items'][number]);
      });
      const seen = await store.update((state) => ({
        owner: state.run.owner,
        runKeys: Object.keys(state.run).sort(),
        tags: state.items[0]?.tags,
        itemKeys: Object.keys(state.items[0] ?? {}).sort(),
      }));
      expect(seen).toEqual({ owner: null, runKeys: ['name', 'owner'], tags: [], itemKeys: ['id', 'tags'] });
      // A change made through a failed update leaves nothing behind for the next one.
      await expect(
        store.update((state) => {
          (state.items[0] as { tags: string[] }).tags.push('lost');
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(await store.update((state) => [...(state.items[0]?.tags ?? [])])).toEqual([]);
      expect((await store.read()).items).toEqual([{ id: 'x', tags: [] }]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
