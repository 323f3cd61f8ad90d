/**
 * One OS process of the PostgreSQL store benchmark (see postgres-store.bench.ts), run with
 * `node --import tsx` so that it uses the product's sources as they are. It opens the run, reads it
 * once (every row loaded, the pool connected), starts its watch and prints {"ready":true}; the
 * benchmark's first commit after that is the start signal. Then, as one roster agent:
 *   drain  claims and finishes tasks until every task is finished → {"finished": [ids], "emptyClaims": n, "cpuMs": n}
 *   make   finishes `samples` tasks one at a time, each making one task of another role ready, and
 *          waits until someone claimed it before the next        → {"made": [{taskId, at}]}
 *          (its first claim marks it alive, so from then on its report hands it its next task, which it
 *          starts as a role agent does)
 *   claim  as drain, noting when it has each task: when its claim's commit came back, or, for a task the
 *          maker's report handed to it (it is idle and alive), when it read it   → {"claims": [{taskId, at}], …}
 * `cpuMs`: this process's CPU time from the start signal to its result.
 * Times (`at`) are performance.timeOrigin + performance.now(): milliseconds on the system clock,
 * comparable across the processes of one machine.
 */
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadTeamConfig } from '../../src/config/index.js';
import { PostgresStore } from '../../src/state/index.js';
import { startKey } from '../../src/team/agents/next-work.js';
import { nextStep } from '../../src/team/agents/work-transitions.js';
import { ChangeSignal, drainTasks, reportDoneInUpdate } from './postgres-bench-team.js';

/** What a worker process is asked to do. */
export interface BenchWorkerJob {
  mode: 'drain' | 'make' | 'claim';
  url: string;
  run: string;
  projectDir: string;
  agentId: string;
  /** make: how many tasks to finish. */
  samples?: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as BenchWorkerJob;
// The maker hears of the other process's claims, which no NOTIFY tells of, by polling: often, to keep samples close.
const store = new PostgresStore({ url: job.url, run: job.run, pollIntervalMs: job.mode === 'make' ? 5 : undefined });
const config = loadTeamConfig({ cwd: job.projectDir });
const clock = (): number => performance.timeOrigin + performance.now();

function print(value: unknown): void {
  writeSync(1, `${JSON.stringify(value)}\n`);
}

async function make(changes: ChangeSignal): Promise<void> {
  const made: { taskId: string; at: number }[] = [];
  const started = new Set<string>();
  for (let index = 0; index < (job.samples ?? 0); index += 1) {
    // Its report handed it its next task (it is idle and alive then), or it claims one.
    const next = await nextStep({
      store,
      config,
      agentId: job.agentId,
      started,
      iterations: 0,
      maxIterations: Number.POSITIVE_INFINITY,
      busy: 0,
    });
    const task = next.kind === 'start' ? next.tasks[0]?.task : undefined;
    if (task === undefined) throw new Error(`${job.agentId} found no task to finish (sample ${index + 1})`);
    started.add(startKey(task));
    const ready = await reportDoneInUpdate({ store, config, agentId: job.agentId, claimed: { task } });
    const at = clock();
    const taskId = ready[0];
    if (ready.length !== 1 || taskId === undefined) throw new Error(`finishing ${task.id} made ${ready.length} tasks ready, not one`);
    made.push({ taskId, at });
    // One sample at a time: the next starts once this one was claimed, after a pause that varies its phase.
    for (;;) {
      const since = changes.version;
      const state = await store.read();
      if (state.tasks.find((task) => task.id === taskId)?.status !== 'ready') break;
      await changes.wait(since);
    }
    await sleep(5 + ((index * 7) % 11));
  }
  print({ made });
}

const { seq } = await store.read();
// Watching from the version read: a change the LISTEN connection misses while it connects is found by its first check.
// The maker waits for another process's claim, which wakes no watch of work (and is heard of by polling).
const changes = new ChangeSignal(store, job.mode === 'make' ? 'all' : 'work');
print({ ready: true });
// The benchmark's next commit says go.
for (;;) {
  const since = changes.version;
  if ((await store.read()).seq !== seq) break;
  await changes.wait(since);
}
const cpuBefore = process.cpuUsage();
const cpuMs = (): number => {
  const cpu = process.cpuUsage(cpuBefore);
  return (cpu.user + cpu.system) / 1000;
};
if (job.mode === 'make') await make(changes);
else {
  const claims: { taskId: string; at: number }[] = [];
  const onClaim = (taskId: string): void => {
    claims.push({ taskId, at: clock() });
  };
  const result = await drainTasks({ store, config, agentId: job.agentId, changes, onClaim });
  print(job.mode === 'claim' ? { ...result, claims, cpuMs: cpuMs() } : { ...result, cpuMs: cpuMs() });
}
changes.close();
await store.close();
