import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { LedgerCorruptedError } from '../../src/errors/index.js';
import { FileStore, followLedger, ledgerEventSchema, readLedger } from '../../src/state/index.js';
import { trimLedgerAfter } from '../../src/state/ledger-file.js';

const boardSchema = z.object({ seq: z.number().int().nonnegative(), count: z.number().int().nonnegative() });
type Board = z.infer<typeof boardSchema>;
type BoardEvent = { type: 'count-increment'; by: number };

let directory: string;
let ledgerFile: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'agent-team-ledger-file-'));
  ledgerFile = join(directory, 'ledger.jsonl');
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('a change whose process died after its events were appended, before the state was replaced', () => {
  it('has its events cut off by the next commit, so the ledger holds exactly what the state holds', async () => {
    const store = new FileStore<Board, BoardEvent>({
      file: join(directory, 'board.json'),
      ledgerFile,
      schema: boardSchema,
      initial: () => ({ seq: 0, count: 0 }),
    });
    for (const by of [1, 2]) {
      await store.update((state, context) => {
        state.count += by;
        context.emit({ type: 'count-increment', by });
      });
    }
    // What a process killed between the two steps leaves: seq 3 in the ledger, the state still at seq 2.
    const orphan = (seq: number): string =>
      `${JSON.stringify({ type: 'count-increment', by: 100, seq, at: '2026-12-02T00:00:00.000Z' })}\n`;
    await appendFile(ledgerFile, orphan(3) + orphan(3));
    // A commit without events (a heartbeat) moves the state to seq 3: the orphan lines must still go.
    await store.update((state) => {
      state.count += 0;
    });
    await store.update((state, context) => {
      state.count += 4;
      context.emit({ type: 'count-increment', by: 4 });
    });
    const ledger = await readLedger<BoardEvent>(ledgerFile);
    expect(ledger.map((entry) => [entry.seq, entry.by])).toEqual([
      [1, 1],
      [2, 2],
      [4, 4],
    ]);
    expect(await store.read()).toEqual({ seq: 4, count: 7 });
  });

  it('reaches back over more than one read of the tail, and leaves a line that is not JSON alone', async () => {
    const lines = Array.from({ length: 300 }, (_, index) =>
      JSON.stringify({ type: 'count-increment', by: index, seq: index + 1, at: '2026-12-02T00:00:00.000Z', pad: 'x'.repeat(40) }),
    );
    await writeFile(ledgerFile, `${lines.join('\n')}\n`);
    await trimLedgerAfter(ledgerFile, 100);
    expect((await readLedger<BoardEvent>(ledgerFile)).map((entry) => entry.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await appendFile(ledgerFile, 'garbage from another process\n');
    await trimLedgerAfter(ledgerFile, 50);
    expect((await readFile(ledgerFile, 'utf8')).endsWith('garbage from another process\n')).toBe(true);
  });
});

describe('appending to the ledger', () => {
  it('starts a new line after a torn one, so the next event is not glued to it and lost', async () => {
    const store = new FileStore<Board, BoardEvent>({
      file: join(directory, 'board.json'),
      ledgerFile,
      schema: boardSchema,
      initial: () => ({ seq: 0, count: 0 }),
    });
    await store.update((state, context) => {
      state.count += 1;
      context.emit({ type: 'count-increment', by: 1 });
    });
    await appendFile(ledgerFile, '{"type":"count-incr'); // a writer that died mid-line
    await store.update((state, context) => {
      state.count += 2;
      context.emit({ type: 'count-increment', by: 2 });
    });
    const skipped: LedgerCorruptedError[] = [];
    const entries = await readLedger<BoardEvent>(ledgerFile, { onSkippedLine: (error) => skipped.push(error) });
    expect(entries.map((entry) => [entry.by, entry.seq])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(skipped.map((error) => error.line)).toEqual([2]);
    expect((await readFile(ledgerFile, 'utf8')).split('\n')[1]).toBe('{"type":"count-incr');
  });
});

describe('followLedger', () => {
  const at = '2026-12-02T03:31:00.000Z';

  it('skips bad lines and events that do not match the schema, reporting each once, and goes on', async () => {
    await writeFile(
      ledgerFile,
      [
        JSON.stringify({ type: 'task-ready', taskId: 'T1', seq: 1, at }),
        'garbage',
        JSON.stringify({ type: 'task-ready', seq: 2, at }),
        JSON.stringify({ type: 'run-end', runId: 'r', status: 'done', reason: 'all tasks done', seq: 3, at }),
        '',
      ].join('\n'),
    );
    const seen: number[] = [];
    const skipped: string[] = [];
    await followLedger({
      file: ledgerFile,
      eventSchema: ledgerEventSchema,
      onEntry: (entry) => seen.push(entry.seq),
      onSkippedLine: (error) => skipped.push(`${error.line}: ${error.problem}`),
      until: (entry) => entry.type === 'run-end',
    });
    expect(seen).toEqual([1, 3]);
    expect(skipped).toEqual([expect.stringMatching(/^2: not valid JSON \(/), expect.stringMatching(/^3: not a valid event: taskId: /)]);
  });

  it('asks whenQuiet after each look that found nothing new, counting them, and ends when it says so', async () => {
    await writeFile(ledgerFile, `${JSON.stringify({ type: 'task-ready', taskId: 'T1', seq: 1, at })}\n`);
    const asked: number[] = [];
    const seen: number[] = [];
    await followLedger({
      file: ledgerFile,
      pollMs: 1,
      onEntry: (entry) => seen.push(entry.seq),
      whenQuiet: (quietPolls) => {
        asked.push(quietPolls);
        return quietPolls === 3;
      },
    });
    expect(seen).toEqual([1]);
    expect(asked).toEqual([1, 2, 3]);
  });
});
