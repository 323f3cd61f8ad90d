/**
 * State transitions per second through FileStore.update() with 1, 4 and 8
 * processes contending for one ~40 KB state file. Figures are printed, not
 * asserted: they depend on the disk's fsync latency more than on our code.
 *
 * Run: npx tsx test/bench/file-store.bench.ts
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ensureBuiltStore, spawnWorker } from '../fixtures/worker-processes.js';

const PROCESS_COUNTS = [1, 4, 8] as const;
const DEFAULT_UPDATES_PER_PROCESS = 200;
const ITEM_COUNT = 100;

/** Measures FileStore.update() under contention; returns `file_store_<n>p_*` figures. */
export async function benchFileStore(options: { updatesPerProcess?: number } = {}): Promise<Record<string, number>> {
  const updatesPerProcess = options.updatesPerProcess ?? DEFAULT_UPDATES_PER_PROCESS;
  await ensureBuiltStore();
  const figures: Record<string, number> = {};
  const rows: string[] = [];
  for (const processes of PROCESS_COUNTS) {
    const run = await runContended({ processes, updatesPerProcess });
    const prefix = `file_store_${processes}p`;
    figures[`${prefix}_transitions_per_s`] = run.transitionsPerSecond;
    figures[`${prefix}_p50_ms`] = run.p50Ms;
    figures[`${prefix}_p95_ms`] = run.p95Ms;
    figures.file_store_document_bytes = run.documentBytes;
    rows.push(
      `${String(processes).padStart(9)}  ${String(run.updates).padStart(7)}  ${run.transitionsPerSecond.toFixed(0).padStart(13)}` +
        `  ${run.p50Ms.toFixed(2).padStart(7)}  ${run.p95Ms.toFixed(2).padStart(7)}`,
    );
  }
  console.log(`FileStore.update(), ${Math.round((figures.file_store_document_bytes ?? 0) / 1024)} KB state file`);
  console.log('processes  updates  transitions/s  p50 ms  p95 ms');
  for (const row of rows) console.log(row);
  return figures;
}

async function runContended(input: { processes: number; updatesPerProcess: number }): Promise<{
  updates: number;
  transitionsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  documentBytes: number;
}> {
  const directory = await mkdtemp(join(tmpdir(), 'agent-team-bench-'));
  try {
    const file = join(directory, 'team-communication.json');
    await writeFile(file, `${JSON.stringify(benchState(), null, 2)}\n`);
    const documentBytes = (await stat(file)).size;
    const workers = Array.from({ length: input.processes }, () =>
      spawnWorker({ mode: 'bench', options: { file, updates: input.updatesPerProcess } }),
    );
    // Process start-up is not part of the measurement: everyone starts on "go".
    await Promise.all(workers.map((worker) => worker.line((line) => line === 'ready')));
    const started = performance.now();
    for (const worker of workers) worker.child.stdin.write('go\n');
    const reports = await Promise.all(workers.map((worker) => worker.line((line) => line.startsWith('{'))));
    const elapsedMs = performance.now() - started;
    await Promise.all(workers.map((worker) => worker.exited));

    const updates = input.processes * input.updatesPerProcess;
    const finalSeq = (JSON.parse(await readFile(file, 'utf8')) as { seq: number }).seq;
    // Not a performance assertion: figures from a store that lost updates would be meaningless.
    if (finalSeq !== updates) throw new Error(`expected seq ${updates} after the run, found ${finalSeq}`);
    const latencies = reports
      .flatMap((report) => (JSON.parse(report) as { latencies: number[] }).latencies)
      .sort((left, right) => left - right);
    return {
      updates,
      transitionsPerSecond: updates / (elapsedMs / 1000),
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      documentBytes,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** A state about the size of a real run's: a counter plus 100 task-like items. */
function benchState(): Record<string, unknown> {
  const items = Array.from({ length: ITEM_COUNT }, (_, index) => ({
    id: `task-${index}`,
    title: `Implement part ${index} of the feature`,
    description:
      'Add the endpoint, validate its input with the shared schema, write the handler and its unit tests, ' +
      'and update the API reference so that the dashboard team can start on the client side of it.',
    status: 'pending',
    files: [`src/api/part-${index}.ts`, `test/api/part-${index}.test.ts`, 'docs/api.md'],
    attempts: 0,
    owner: null,
  }));
  return { seq: 0, count: 0, items };
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchFileStore();
}
