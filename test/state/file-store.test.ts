import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StateCorruptedError, StateMissingError } from '../../src/errors/index.js';
import { FileStore, readLedger } from '../../src/state/index.js';
import { deadPid } from '../support/processes.js';

const taskSchema = z.object({ id: z.string(), status: z.enum(['pending', 'done']) });
const boardSchema = z.object({
  seq: z.number().int().nonnegative(),
  count: z.number().int().nonnegative(),
  tasks: z.array(taskSchema),
});
type Board = z.infer<typeof boardSchema>;
type BoardEvent = { type: 'count-increment'; by: number } | { type: 'task-end'; taskId: string };

const fixedNow = new Date('2026-01-02T03:04:05.000Z');
let directory: string;
let file: string;
let ledgerFile: string;

function createStore(options: { initial?: boolean; backupIntervalMs?: number } = {}): FileStore<Board, BoardEvent> {
  return new FileStore<Board, BoardEvent>({
    file,
    ledgerFile,
    schema: boardSchema,
    now: () => fixedNow,
    ...(options.backupIntervalMs === undefined ? {} : { backupIntervalMs: options.backupIntervalMs }),
    ...(options.initial === false ? {} : { initial: () => ({ seq: 0, count: 0, tasks: [] }) }),
  });
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'agent-team-file-store-'));
  file = join(directory, 'state', 'board.json');
  ledgerFile = join(directory, 'run', 'ledger.jsonl');
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('FileStore', () => {
  it('removes at its first commit the temps of the state and of its backup that writers which are gone left behind', async () => {
    const first = createStore();
    await first.update((board) => {
      board.count = 1;
    });
    await first.close();
    const dead = await deadPid();
    // Left by processes that died, or that a disk turned read-only kept from cleaning up, between writing and renaming.
    const left = [`.board.json.${dead}.a1b2c3d4e5f6.tmp`, `.board.json.bak.${dead}.a1b2c3d4e5f6.tmp`];
    for (const name of left) await writeFile(join(directory, 'state', name), 'x');
    const store = createStore();
    await store.update((board) => {
      board.count = 2;
    });
    await store.close();
    expect((await readdir(join(directory, 'state'))).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('reads the initial state while the file is missing, without creating it', async () => {
    const store = createStore();
    expect(await store.exists()).toBe(false);
    expect(await store.read()).toEqual({ seq: 0, count: 0, tasks: [] });
    expect(existsSync(file)).toBe(false);
  });

  it('says how to create a missing state file when there is no initial state', async () => {
    const store = createStore({ initial: false });
    const failure = store.read();
    await expect(failure).rejects.toBeInstanceOf(StateMissingError);
    await expect(failure).rejects.toThrow(file);
    await expect(failure).rejects.toThrow('agent-team run --feature');
    await expect(store.update(() => undefined)).rejects.toMatchObject({ code: 'state_missing', exitCode: 4 });
  });

  it('writes pretty, valid JSON and bumps seq by exactly one per update', async () => {
    const store = createStore();
    const result = await store.update((state, context) => {
      state.count += 5;
      state.seq = 99; // ignored: seq belongs to the store
      return context.now;
    });
    expect(result).toBe(fixedNow.toISOString());
    await store.update((state) => {
      state.tasks.push({ id: 't1', status: 'pending' });
    });

    const text = await readFile(file, 'utf8');
    expect(text).toBe(`${JSON.stringify({ seq: 2, count: 5, tasks: [{ id: 't1', status: 'pending' }] }, null, 2)}\n`);
    expect(await store.exists()).toBe(true);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('writes nothing when fn throws, and releases the lock', async () => {
    const store = createStore();
    await store.update((state) => {
      state.count = 1;
    });
    const before = await readFile(file);
    const failure = new Error('changed my mind');
    await expect(
      store.update((state, context) => {
        state.count = 1000;
        context.emit({ type: 'count-increment', by: 999 });
        throw failure;
      }),
    ).rejects.toBe(failure);

    expect(await readFile(file)).toEqual(before);
    expect(await readLedger(ledgerFile)).toEqual([]);
    // The next update proceeds (the lock was released) from seq 1: the failed one used no seq.
    expect(await store.update((state) => state.seq)).toBe(1);
    expect((await store.read()).seq).toBe(2);
  });

  it('refuses a state that fails the schema, or an async fn, and writes nothing', async () => {
    const store = createStore();
    await store.update(() => undefined);
    const before = await readFile(file);

    const invalid = store.update((state) => {
      state.tasks.push({ id: 't1', status: 'lost' as 'done' });
    });
    await expect(invalid).rejects.toThrow(/does not match its schema.*tasks\.0\.status/);
    await expect(invalid).rejects.not.toBeInstanceOf(StateCorruptedError);
    await expect(store.update(async () => undefined)).rejects.toThrow('synchronous');
    expect(await readFile(file)).toEqual(before);
  });

  it('writes nothing when fn held the lock so long that another process could have taken it over', async () => {
    const store = new FileStore<Board, BoardEvent>({
      file,
      schema: boardSchema,
      initial: () => ({ seq: 0, count: 0, tasks: [] }),
      lockStaleMs: 2000,
    });
    await store.update(() => undefined);
    const before = await readFile(file);
    const slow = store.update((state) => {
      state.count = 7;
      const started = Date.now();
      while (Date.now() - started <= 1000) {
        // A blocked event loop cannot refresh the lock: half the stale time is the limit.
      }
    });
    await expect(slow).rejects.toThrow(/may have been taken over.*nothing was written/);
    expect(await readFile(file)).toEqual(before);
  });

  it('appends emitted events to the ledger with the seq and time of their update, in order', async () => {
    const store = createStore();
    await store.update((state, context) => {
      state.count += 2;
      context.emit({ type: 'count-increment', by: 1 });
      context.emit({ type: 'count-increment', by: 1 });
    });
    await store.update(() => undefined); // no events: no ledger line
    await store.update((_state, context) => context.emit({ type: 'task-end', taskId: 't1' }));

    const at = fixedNow.toISOString();
    expect(await readLedger<BoardEvent>(ledgerFile)).toEqual([
      { type: 'count-increment', by: 1, seq: 1, at },
      { type: 'count-increment', by: 1, seq: 1, at },
      { type: 'task-end', taskId: 't1', seq: 3, at },
    ]);
  });

  it('keeps the previous good version as .bak', async () => {
    const store = createStore({ backupIntervalMs: 0 });
    for (let index = 0; index < 3; index += 1)
      await store.update((state) => {
        state.count += 1;
      });
    const backup = boardSchema.parse(JSON.parse(await readFile(`${file}.bak`, 'utf8')));
    expect(backup).toEqual({ seq: 2, count: 2, tasks: [] });
    expect((await store.read()).seq).toBe(3);
  });

  it('refreshes .bak at most once per backupIntervalMs, always with a good version', async () => {
    const store = createStore({ backupIntervalMs: 60_000 });
    for (let index = 0; index < 4; index += 1)
      await store.update((state) => {
        state.count += 1;
      });
    // The first replaced version (seq 1) was kept; later commits within the interval leave it.
    const backup = boardSchema.parse(JSON.parse(await readFile(`${file}.bak`, 'utf8')));
    expect(backup).toEqual({ seq: 1, count: 1, tasks: [] });
    expect((await store.read()).seq).toBe(4);
  });

  it('reports invalid JSON as StateCorruptedError naming the file, and leaves the bytes alone', async () => {
    const store = createStore();
    await store.update(() => undefined);
    await writeFile(file, '{"seq": 1, "count": 3,');
    const before = await readFile(file);

    await expect(store.read()).rejects.toBeInstanceOf(StateCorruptedError);
    await expect(store.read()).rejects.toThrow(file);
    let called = false;
    await expect(
      store.update(() => {
        called = true;
      }),
    ).rejects.toMatchObject({
      code: 'state_corrupted',
      file,
      problem: expect.stringContaining('invalid JSON'),
    });
    expect(called).toBe(false);
    expect(await readFile(file)).toEqual(before);
  });

  it('reports a schema-invalid file with the dot path of the problem', async () => {
    await createStore().update(() => undefined);
    const broken = {
      seq: 4,
      count: 1,
      tasks: [
        { id: 'a', status: 'done' },
        { id: 'b', status: 'lost' },
      ],
    };
    await writeFile(file, JSON.stringify(broken));

    const failure = createStore().read();
    await expect(failure).rejects.toBeInstanceOf(StateCorruptedError);
    await expect(failure).rejects.toThrow(/tasks\.1\.status: Invalid option/);
    await expect(failure).rejects.toThrow(file);
  });

  it('calls watch() listeners when another store instance updates the file', async () => {
    const writer = createStore();
    await writer.update(() => undefined);
    const watcher = createStore();
    // Polling is every 30 s by default, far beyond this test: only the directory watch can fire.
    let stop = (): void => undefined;
    const seen = new Promise<number>((resolve) => {
      stop = watcher.watch(() => {
        void watcher.read().then((state) => {
          if (state.seq === 2) resolve(state.seq);
        });
      });
    });
    try {
      await writer.update((state) => {
        state.count += 1;
      });
      expect(await seen).toBe(2);
    } finally {
      stop();
    }
  });
});

describe('readLedger', () => {
  it('skips an incomplete last line, which is an append in progress', async () => {
    const path = join(directory, 'ledger.jsonl');
    await writeFile(path, '{"type":"task-ready","seq":1,"at":"x"}\n{"type":"task-re');
    expect(await readLedger(path)).toEqual([{ type: 'task-ready', seq: 1, at: 'x' }]);
  });

  it('skips a broken line that is not the last, and reports it once naming the file and line', async () => {
    const path = join(directory, 'ledger.jsonl');
    await writeFile(
      path,
      '{"type":"task-ready","seq":1,"at":"x"}\n{"type":\n{"type":"task-ready","at":"x"}\n{"type":"task-ready","seq":4,"at":"y"}\n',
    );
    const skipped: string[] = [];
    const entries = await readLedger(path, { onSkippedLine: (error) => skipped.push(error.message) });
    expect(entries.map((entry) => entry.seq)).toEqual([1, 4]);
    expect(skipped).toEqual([
      expect.stringContaining(`${path} line 2 is not valid JSON`),
      expect.stringContaining(`${path} line 3 is not a ledger entry: seq:`),
    ]);
    // The same bad lines read again in this process are not reported twice.
    await readLedger(path, { onSkippedLine: (error) => skipped.push(error.message) });
    expect(skipped).toHaveLength(2);
  });

  it('reads a missing ledger as empty', async () => {
    expect(await readLedger(join(directory, 'none.jsonl'))).toEqual([]);
  });
});
