import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FileStore, readLedger } from '../../src/state/index.js';
import { ensureBuiltStore, spawnWorker, type Worker } from '../fixtures/worker-processes.js';

const counterSchema = z.object({ seq: z.number().int().nonnegative(), count: z.number().int().nonnegative() });

let directory: string;

beforeAll(async () => {
  await ensureBuiltStore();
  directory = await mkdtemp(join(tmpdir(), 'agent-team-multiprocess-'));
}, 60_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function expectAllSucceeded(workers: readonly Worker[]): Promise<void> {
  const codes = await Promise.all(workers.map((worker) => worker.exited));
  expect(codes, workers.map((worker) => worker.stderr()).join('\n')).toEqual(workers.map(() => 0));
}

// A fixed amount of work in real processes: its time grows with the load; the timeouts only catch a hang.
describe('FileStore across processes', () => {
  it('loses no update when 8 processes increment 500 times each', async () => {
    const file = join(directory, 'contended', 'counter.json');
    const ledgerFile = join(directory, 'contended', 'ledger.jsonl');
    const workers = Array.from({ length: 8 }, () => spawnWorker({ mode: 'increment', options: { file, ledgerFile, count: 500 } }));
    await expectAllSucceeded(workers);

    expect(await new FileStore({ file, schema: counterSchema }).read()).toEqual({ seq: 4000, count: 4000 });
    const ledger = await readLedger(ledgerFile);
    expect(ledger).toHaveLength(4000);
    // Appends happen under the lock, so the ledger is in seq order, not merely complete.
    expect(ledger.map((entry) => entry.seq)).toEqual(Array.from({ length: 4000 }, (_, index) => index + 1));
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 180_000);

  it('takes over the lock of a SIGKILLed holder once it is stale', async () => {
    const file = join(directory, 'killed', 'counter.json');
    const ledgerFile = join(directory, 'killed', 'ledger.jsonl');
    const holder = spawnWorker({ mode: 'hold', options: { file, staleMs: 2000 } });
    await holder.line((line) => line === 'locked');
    holder.child.kill('SIGKILL');
    expect(await holder.exited).toBe('SIGKILL');
    // SIGKILL runs no exit handler: the lock directory stays until it is stale.
    expect(existsSync(`${file}.lock`)).toBe(true);

    const workers = Array.from({ length: 3 }, () =>
      spawnWorker({ mode: 'increment', options: { file, ledgerFile, count: 100, staleMs: 2000 } }),
    );
    await expectAllSucceeded(workers);

    expect(await new FileStore({ file, schema: counterSchema }).read()).toEqual({ seq: 300, count: 300 });
    expect(await readLedger(ledgerFile)).toHaveLength(300);
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(existsSync(`${file}.lock.takeover`)).toBe(false);
  }, 180_000);
});
