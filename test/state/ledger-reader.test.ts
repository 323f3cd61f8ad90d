/**
 * LedgerFileReader against readLedger on the same file after every change a ledger file goes
 * through: appends, torn and bad lines, a line finished later, a new run (truncated), a trim after a
 * crash, a file replaced, the file gone. Each read must equal a whole read, bad lines reported once.
 */
import { appendFile, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerCorruptedError } from '../../src/errors/index.js';
import { type LedgerEntry, LedgerFileReader, type LedgerEvent, ledgerEventSchema, readLedger } from '../../src/state/index.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-team-ledger-reader-'));
  file = join(dir, 'run_ledger.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
function line(type = 'task-ready'): string {
  seq += 1;
  const event = type === 'task-ready' ? { type, taskId: `T${seq}` } : { type: 'agent-stop', agentId: 'dev', reason: 'stopped' };
  return `${JSON.stringify({ ...event, seq, at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() })}\n`;
}

/** A seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

async function whole(skipped?: LedgerCorruptedError[]): Promise<LedgerEntry<LedgerEvent>[]> {
  return readLedger(file, { eventSchema: ledgerEventSchema, onSkippedLine: (error) => skipped?.push(error) });
}

describe('LedgerFileReader', () => {
  it('returns what a whole read returns after appends, a torn line finished later, and a whole last line without its newline', async () => {
    const skipped: LedgerCorruptedError[] = [];
    const reader = new LedgerFileReader<LedgerEvent>(file, {
      eventSchema: ledgerEventSchema,
      onSkippedLine: (error) => skipped.push(error),
    });
    expect(await reader.read()).toEqual([]);
    await appendFile(file, line() + line());
    expect(await reader.read()).toEqual(await whole());
    const next = line();
    // Half a line: not an entry yet.
    await appendFile(file, next.slice(0, 20));
    expect(await reader.read()).toEqual(await whole());
    expect((await reader.read()).length).toBe(2);
    // Finished, but still without its newline: a whole entry, as a whole read sees it.
    await appendFile(file, next.slice(20, -1));
    expect(await reader.read()).toEqual(await whole());
    expect((await reader.read()).length).toBe(3);
    await appendFile(file, `\n${line()}not json at all\n${line()}`);
    // Read by the reader first: a bad line is reported once per process, whoever reads it first.
    const got = await reader.read();
    expect(got).toEqual(await whole());
    expect(got.length).toBe(5);
    // The bad line was reported once, however often the ledger is read, and named by its line.
    await reader.read();
    expect(skipped.map((error) => error.message)).toEqual([expect.stringContaining(`${file} line 5 is not valid JSON`)]);
  });

  it('reads the file again from its start when it is truncated, trimmed and rewritten, replaced, or gone', async () => {
    const reader = new LedgerFileReader<LedgerEvent>(file, { eventSchema: ledgerEventSchema, onSkippedLine: () => undefined });
    await writeFile(file, line() + line() + line());
    expect(await reader.read()).toHaveLength(3);
    // A new run: the file starts over, and grows past where the reader stopped before it looks again.
    await truncate(file, 0);
    await appendFile(file, line('agent-stop') + line() + line() + line() + line());
    expect(await reader.read()).toEqual(await whole());
    // A trim after a crash cut the last line, and the next commit's lines took its place.
    const kept = (await whole()).length;
    const before = await readFile(file, 'utf8');
    await writeFile(file, before.slice(0, before.lastIndexOf('\n', before.length - 2) + 1) + line() + line());
    expect(await reader.read()).toEqual(await whole());
    expect((await whole()).length).toBe(kept + 1);
    // Replaced by another file (a restore).
    await writeFile(join(dir, 'other.jsonl'), line() + line('agent-stop'));
    await rename(join(dir, 'other.jsonl'), file);
    expect(await reader.read()).toEqual(await whole());
    await rm(file);
    expect(await reader.read()).toEqual([]);
    await appendFile(file, line());
    expect(await reader.read()).toEqual(await whole());
  });

  it('equals a whole read after each of 400 random changes', async () => {
    const next = random(20261203);
    const reader = new LedgerFileReader<LedgerEvent>(file, { eventSchema: ledgerEventSchema, onSkippedLine: () => undefined });
    let pending = '';
    for (let step = 0; step < 400; step += 1) {
      const roll = next();
      const current = await readFile(file, 'utf8').catch(() => '');
      if (roll < 0.45) await appendFile(file, pending + line(next() < 0.2 ? 'agent-stop' : 'task-ready'));
      else if (roll < 0.55) {
        pending = line();
        await appendFile(file, pending.slice(0, 1 + Math.floor(next() * (pending.length - 2))));
        pending = pending.slice((await readFile(file, 'utf8')).length - current.length);
        continue;
      } else if (roll < 0.62) await appendFile(file, `${pending}{"bad": ${step}}\n`);
      else if (roll < 0.7) await truncate(file, Math.floor(next() * current.length)).catch(() => undefined);
      else if (roll < 0.75) await writeFile(file, '');
      else if (roll < 0.8) {
        await writeFile(join(dir, 'new.jsonl'), line() + line());
        await rename(join(dir, 'new.jsonl'), file);
      } else if (roll < 0.85) await rm(file, { force: true });
      pending = '';
      expect(await reader.read(), `step ${step}`).toEqual(await whole());
    }
  });
});
