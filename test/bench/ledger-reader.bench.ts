/**
 * Reading a growing run ledger as the service does (GET /tasks/{id}, its totals, its webhooks): a
 * 20,000-event ledger gets 10 events between two reads; the figure is the median of 20 reads, in ms,
 * for a whole read (readLedger) and for the incremental reader (LedgerFileReader), which parses only
 * the lines appended since its last read.
 */
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { LedgerFileReader, ledgerEventSchema, readLedger } from '../../src/state/index.js';
import { quantile } from './percentiles.js';

const EVENTS = 20_000;
const APPENDED = 10;
const READS = 20;

const line = (seq: number): string =>
  `${JSON.stringify({ type: 'task-ready', taskId: `T${seq}`, seq, at: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString() })}\n`;

/** Runs the benchmark and returns its figures. */
export async function benchLedgerReader(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-team-bench-ledger-'));
  const file = join(dir, 'run_ledger.jsonl');
  try {
    await writeFile(file, Array.from({ length: EVENTS }, (_, index) => line(index + 1)).join(''));
    const reader = new LedgerFileReader(file, { eventSchema: ledgerEventSchema });
    await reader.read();
    const whole: number[] = [];
    const incremental: number[] = [];
    let seq = EVENTS;
    for (let read = 0; read < READS; read += 1) {
      await appendFile(file, Array.from({ length: APPENDED }, () => line(++seq)).join(''));
      let started = performance.now();
      const all = await readLedger(file, { eventSchema: ledgerEventSchema });
      whole.push(performance.now() - started);
      started = performance.now();
      const some = await reader.read();
      incremental.push(performance.now() - started);
      if (all.length !== some.length) throw new Error(`the reader returned ${some.length} entries, a whole read ${all.length}`);
    }
    const figures = {
      ledger_whole_read_ms: Number(quantile(whole, 0.5).toFixed(2)),
      ledger_incremental_read_ms: Number(quantile(incremental, 0.5).toFixed(2)),
    };
    console.log(
      `Ledger of ${EVENTS.toLocaleString('en-US')} events, ${APPENDED} new between reads (median of ${READS}): ` +
        `whole read ${figures.ledger_whole_read_ms} ms, incremental read ${figures.ledger_incremental_read_ms} ms`,
    );
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await benchLedgerReader();
