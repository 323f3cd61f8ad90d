/**
 * PostgresStore under the product's own task transitions, against a throwaway local server (unix
 * socket, fsync off). A transition is one committed change of a task made by the role agent's own
 * functions (work-transitions.ts: on PostgreSQL one statement of the server each): a claim, or a report
 * of the task done, which makes its dependents ready and hands the reporter its next task. Plans are half
 * ready tasks and half tasks waiting for one of them (see postgres-bench-team.ts); the process that runs
 * the benchmark ends each run once its tasks are finished, as a run's coordinator does. Three figures,
 * printed against the targets of the issue:
 *
 * 1. Cost per transition as the plan grows (200, 800, 3,200 tasks; target: at 3,200 within 1.3x of
 *    at 200). One process, four agents, each working as a role agent does (see postgres-bench-team.ts: a report
 *    hands the reporter its next ready task in the same commit) until every task is done:
 *    wall time (and this process's CPU time) over transitions (two per task); the median of three
 *    runs of each size, after a run that warms the code up. The server's CPU time is in the wall
 *    time only.
 * 2. Throughput with 8 worker processes, one roster agent each, on one run: transitions over the wall
 *    time from the start signal (a commit every worker waits for, after each has loaded the run) to
 *    the last worker's result (target ≥ 1,000/s). Checked: every task done, claimed and finished
 *    exactly once (by the workers' lists and by the ledger's events). Also printed: the CPU time per
 *    transition of the worker processes (each reports its own) and of the server (its processes',
 *    read from /proc on Linux), against the machine's cores: at 1,000/s two cores give 2 ms of CPU,
 *    Node and server together, per transition. The coordinator's part (this process) is in the wall
 *    time and the server's CPU, not in the workers' CPU.
 *    The same again with each worker on a run of its own in the same database (the plan split between
 *    them), as a service running many teams, or a sweep of sim runs, uses one database: no commit waits
 *    for another run's, and no worker applies another's commits.
 * 3. Ready → claimed across processes (target p95 < 50 ms): one process finishes a frontend task,
 *    which makes a backend task ready; an agent of another process, idle and waiting with
 *    store.watch() (LISTEN/NOTIFY), gets it: the report's commit hands it over (claimed in that very
 *    commit, as the product's reports do for idle agents), or, before the agent's first claim marked it
 *    alive, it claims it in a commit of its own. One sample at a time. The figure is the time from the
 *    report's commit to the other process having the task (its claim's commit acknowledged, or the
 *    handed task read): each process notes performance.timeOrigin + performance.now() then, both on
 *    the one system clock at sub-millisecond resolution. The ledger's `at` (the store's clock inside
 *    each transaction, whole milliseconds) gives ready → claim events: 0 when handed over.
 *
 * Run: npx tsx test/bench/postgres-store.bench.ts [--sizes 200,800,3200] [--fleet-tasks 2000] [--samples 250]
 *      [--only cost,fleet,runs,latency]
 * With BENCH_WORKER_PROFILE=<directory> each worker process writes a CPU profile there.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { TeamConfig } from '../../src/config/index.js';
import { type LedgerEntry, type LedgerEvent, PostgresStore } from '../../src/state/index.js';
import { spawnNode, type Worker } from '../fixtures/worker-processes.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import {
  type BenchProject,
  benchState,
  ChangeSignal,
  createBenchProject,
  DEVELOPERS,
  drainTasks,
  endWhenFinished,
  halfDependentPlan,
  MAKER,
  type PlannedTask,
} from './postgres-bench-team.js';
import type { BenchWorkerJob } from './postgres-bench-worker.js';
import { quantile } from './percentiles.js';
import { serverCpuMs } from './postgres-server-cpu.js';

const DEFAULT_SIZES = [200, 800, 3200] as const;
const DEFAULT_FLEET_TASKS = 2000;
const DEFAULT_SAMPLES = 250;
// Agents of the one process of the first figure.
const IN_PROCESS_AGENTS = 4;
// Runs of each size; the figure is their median.
const COST_RUNS = 3;
// Samples of the latency figure left out at the start (connections and code still warming up).
const WARM_UP_SAMPLES = 5;
const RUN = 'bench';
const PARTS = ['cost', 'fleet', 'runs', 'latency'] as const;
type Part = (typeof PARTS)[number];
const workerScript = fileURLToPath(new URL('./postgres-bench-worker.ts', import.meta.url));

/** A new database holding a run with `plan`; the returned store created it. */
async function newRun(input: { server: PostgresServer; config: TeamConfig; plan: readonly PlannedTask[] }): Promise<{
  url: string;
  store: PostgresStore;
}> {
  const url = await input.server.createDatabase();
  const initial = benchState({ config: input.config, plan: input.plan });
  const store = new PostgresStore({ url, run: RUN, initial: () => structuredClone(initial) });
  await store.update(() => undefined);
  return { url, store };
}

/** Per task id, how many ledger events of each kind name it. */
function eventCounts(ledger: readonly LedgerEntry<LedgerEvent>[], type: 'task-claim' | 'task-end' | 'task-ready'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of ledger) {
    if (entry.type === type) counts.set(entry.taskId, (counts.get(entry.taskId) ?? 0) + 1);
  }
  return counts;
}

/** Figure 1: one process, several agents, the whole plan. */
async function transitionCost(input: { server: PostgresServer; config: TeamConfig; tasks: number }): Promise<{
  msPerTransition: number;
  cpuMsPerTransition: number;
  updates: number;
}> {
  const { store } = await newRun({ ...input, plan: halfDependentPlan(input.tasks) });
  try {
    const { seq: startSeq } = await store.read();
    const changes = new ChangeSignal(store);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const agents = DEVELOPERS.slice(0, IN_PROCESS_AGENTS);
    // The agents, and the coordinator's part that ends the run once every task is finished.
    const [results] = await Promise.all([
      Promise.all(agents.map((agentId) => drainTasks({ store, config: input.config, agentId, changes }))),
      endWhenFinished(store),
    ]);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    changes.close();
    const finished = results.flatMap((result) => result.finished);
    const state = await store.read();
    if (finished.length !== input.tasks || state.tasks.some((task) => task.status !== 'done')) {
      throw new Error(`transition cost at ${input.tasks} tasks: ${finished.length} tasks finished, the plan has ${input.tasks}`);
    }
    const transitions = 2 * input.tasks;
    return {
      msPerTransition: wallMs / transitions,
      cpuMsPerTransition: (cpu.user + cpu.system) / 1000 / transitions,
      updates: state.seq - startSeq,
    };
  } finally {
    await store.close();
  }
}

/** Starts one worker process per job and resolves once each has loaded the run and started its watch. */
async function startWorkers(jobs: readonly BenchWorkerJob[]): Promise<Worker[]> {
  // BENCH_WORKER_PROFILE=<directory>: each worker writes a CPU profile there (node --cpu-prof).
  const profile = process.env.BENCH_WORKER_PROFILE;
  const profiling = profile === undefined || profile === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`];
  const workers = jobs.map((job) => spawnNode([...profiling, '--import', 'tsx', workerScript, JSON.stringify(job)]));
  try {
    await Promise.all(workers.map((worker) => worker.line((line) => line === '{"ready":true}')));
  } catch (error) {
    for (const worker of workers) worker.child.kill();
    throw error;
  }
  return workers;
}

/** Waits for each worker's result line and its exit with 0. */
async function resultsOf<T>(workers: readonly Worker[], key: string): Promise<T[]> {
  const lines = await Promise.all(workers.map((worker) => worker.line((line) => line.startsWith(`{"${key}"`))));
  const codes = await Promise.all(workers.map((worker) => worker.exited));
  if (codes.some((code) => code !== 0)) {
    throw new Error(`a benchmark worker failed (exit codes ${codes.join(', ')}): ${workers.map((worker) => worker.stderr()).join('\n')}`);
  }
  return lines.map((line) => JSON.parse(line) as T);
}

/**
 * Figure 2: 8 worker processes, one roster agent each: all on one run (`runs` 1), or each on a run of
 * its own in the same database (`runs` 8, the plan split between them), as a service running many teams does.
 */
async function fleetThroughput(input: { server: PostgresServer; project: BenchProject; tasks: number; runs: 1 | 8 }): Promise<{
  perSecond: number;
  wallMs: number;
  updates: number;
  emptyClaims: number;
  doneOnce: boolean;
  workerCpuMs: number;
  serverCpuMs: number | undefined;
}> {
  const config = input.project.config;
  const perRun = Math.ceil(input.tasks / input.runs);
  const url = await input.server.createDatabase();
  const runKeys = input.runs === 1 ? [RUN] : DEVELOPERS.map((_, index) => `${RUN}-${index + 1}`);
  const stores = runKeys.map((run) => {
    const initial = benchState({ config, plan: halfDependentPlan(perRun) });
    return new PostgresStore({ url, run, initial: () => structuredClone(initial) });
  });
  try {
    for (const store of stores) await store.update(() => undefined);
    const runOf = (index: number): string => runKeys[index % runKeys.length] as string;
    const workers = await startWorkers(
      DEVELOPERS.map((agentId, index) => ({ mode: 'drain', url, run: runOf(index), projectDir: input.project.dir, agentId })),
    );
    const dataDirectory = join(input.server.directory, 'data');
    const serverBefore = serverCpuMs(dataDirectory);
    const started = performance.now();
    // The start signal of each run; the workers' commits come after its seq.
    const startSeqs = await Promise.all(stores.map(async (store) => 1 + (await store.update((state) => state.seq))));
    // This process ends each run once its tasks are finished, as the run's coordinator does.
    const ended = Promise.all(stores.map((store) => endWhenFinished(store)));
    const results = await resultsOf<{ finished: string[]; emptyClaims: number; cpuMs: number }>(workers, 'finished');
    await ended;
    const wallMs = performance.now() - started;
    const serverAfter = serverCpuMs(dataDirectory);
    const problems: string[] = [];
    let updates = 0;
    for (const [index, store] of stores.entries()) {
      const startSeq = startSeqs[index] as number;
      const state = await store.read();
      const ledger = await store.readLedger(startSeq);
      updates += state.seq - startSeq;
      const finished = results.filter((_, worker) => runOf(worker) === runKeys[index]).flatMap((result) => result.finished);
      const claims = eventCounts(ledger, 'task-claim');
      const ends = eventCounts(ledger, 'task-end');
      const where = input.runs === 1 ? '' : `run ${runKeys[index]}: `;
      if (finished.length !== perRun) problems.push(`${where}the workers finished ${finished.length} tasks`);
      if (new Set(finished).size !== perRun) problems.push(`${where}${new Set(finished).size} distinct tasks finished`);
      for (const task of state.tasks) {
        if (task.status !== 'done' || claims.get(task.id) !== 1 || ends.get(task.id) !== 1)
          problems.push(
            `${where}${task.id}: ${task.status}, claimed ${claims.get(task.id) ?? 0} times, finished ${ends.get(task.id) ?? 0} times`,
          );
      }
    }
    if (problems.length > 0) console.log(`  not done exactly once (of ${perRun * input.runs} tasks): ${problems.slice(0, 10).join('; ')}`);
    return {
      perSecond: (2 * perRun * input.runs) / (wallMs / 1000),
      wallMs,
      updates,
      emptyClaims: results.reduce((sum, result) => sum + result.emptyClaims, 0),
      doneOnce: problems.length === 0,
      workerCpuMs: results.reduce((sum, result) => sum + result.cpuMs, 0),
      serverCpuMs: serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore,
    };
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
}

/** Figure 3: ready in one process → claimed in another. */
async function readyToClaimed(input: { server: PostgresServer; project: BenchProject; samples: number }): Promise<{
  clock: number[];
  ledger: number[];
}> {
  const count = input.samples + WARM_UP_SAMPLES;
  // Frontend task i (the maker's) makes backend task i (the claimer's) ready.
  const plan: PlannedTask[] = Array.from({ length: count }, (_, index) => [
    { role: 'frontend_developer' },
    { role: 'backend_developer', dependsOn: `T${2 * index + 1}` },
  ]).flat();
  const { url, store } = await newRun({ ...input, config: input.project.config, plan });
  try {
    const base = { url, run: RUN, projectDir: input.project.dir };
    const workers = await startWorkers([
      { ...base, mode: 'make', agentId: MAKER, samples: count },
      { ...base, mode: 'claim', agentId: DEVELOPERS[0] },
    ]);
    await store.update(() => undefined);
    // This process ends the run once its tasks are finished, as the run's coordinator does.
    const ended = endWhenFinished(store);
    const [made] = await resultsOf<{ made: { taskId: string; at: number }[] }>(workers.slice(0, 1), 'made');
    const [claimed] = await resultsOf<{ claims: { taskId: string; at: number }[] }>(workers.slice(1), 'finished');
    await ended;
    const claimAt = new Map(claimed?.claims.map((claim) => [claim.taskId, claim.at]));
    const ledger = await store.readLedger();
    const readyAt = new Map(ledger.filter((entry) => entry.type === 'task-ready').map((entry) => [entry.taskId, Date.parse(entry.at)]));
    const claimedAt = new Map(ledger.filter((entry) => entry.type === 'task-claim').map((entry) => [entry.taskId, Date.parse(entry.at)]));
    const measured = (made?.made ?? []).slice(WARM_UP_SAMPLES);
    const clock = measured.map((sample) => (claimAt.get(sample.taskId) ?? Number.NaN) - sample.at);
    const fromLedger = measured.map((sample) => (claimedAt.get(sample.taskId) ?? Number.NaN) - (readyAt.get(sample.taskId) ?? Number.NaN));
    if (measured.length !== input.samples || clock.some(Number.isNaN) || fromLedger.some(Number.isNaN)) {
      throw new Error(`ready → claimed: ${measured.length} samples of ${input.samples}, or a task made ready was never claimed`);
    }
    return { clock, ledger: fromLedger };
  } finally {
    await store.close();
  }
}

/** Runs the three measurements; returns `postgres_*` figures. */
export async function benchPostgresStore(
  options: { sizes?: readonly number[]; fleetTasks?: number; samples?: number; only?: readonly Part[] } = {},
): Promise<Record<string, number>> {
  const parts = new Set(options.only ?? PARTS);
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const fleetTasks = options.fleetTasks ?? DEFAULT_FLEET_TASKS;
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const figures: Record<string, number> = {};
  const server = await startPostgres();
  const project = await createBenchProject();
  try {
    if (parts.has('cost')) {
      console.log(`PostgresStore transitions (nextStep, reportWork) on a local server, ${IN_PROCESS_AGENTS} agents in one process`);
      console.log(`planned tasks  updates  ms per transition  cpu ms per transition  (median of ${COST_RUNS} runs, after a warm-up run)`);
    }
    // Code warmed up first (else the first size pays for the compiler), then the median of a few runs per size.
    if (parts.has('cost')) await transitionCost({ server, config: project.config, tasks: sizes[0] ?? 200 });
    for (const tasks of parts.has('cost') ? sizes : []) {
      const runs: Awaited<ReturnType<typeof transitionCost>>[] = [];
      for (let run = 0; run < COST_RUNS; run += 1) runs.push(await transitionCost({ server, config: project.config, tasks }));
      const cost = {
        msPerTransition: quantile(
          runs.map((one) => one.msPerTransition),
          0.5,
        ),
        cpuMsPerTransition: quantile(
          runs.map((one) => one.cpuMsPerTransition),
          0.5,
        ),
        updates: runs[0]?.updates ?? 0,
      };
      figures[`postgres_transition_${tasks}_ms`] = Number(cost.msPerTransition.toFixed(3));
      figures[`postgres_transition_${tasks}_cpu_ms`] = Number(cost.cpuMsPerTransition.toFixed(3));
      console.log(
        `${String(tasks).padStart(13)}  ${String(cost.updates).padStart(7)}  ${cost.msPerTransition.toFixed(3).padStart(17)}` +
          `  ${cost.cpuMsPerTransition.toFixed(3).padStart(21)}` +
          `  (runs: ${runs.map((one) => one.msPerTransition.toFixed(2)).join(', ')})`,
      );
    }
    const first = figures[`postgres_transition_${sizes[0]}_ms`];
    const last = figures[`postgres_transition_${sizes.at(-1)}_ms`];
    if (parts.has('cost') && sizes.length > 1 && first !== undefined && last !== undefined) {
      figures.postgres_transition_growth = Number((last / first).toFixed(2));
      console.log(
        `  ms per transition at ${sizes.at(-1)} tasks / at ${sizes[0]} tasks: ${(last / first).toFixed(2)} (target: at most 1.3)`,
      );
      const firstCpu = figures[`postgres_transition_${sizes[0]}_cpu_ms`];
      const lastCpu = figures[`postgres_transition_${sizes.at(-1)}_cpu_ms`];
      if (firstCpu !== undefined && lastCpu !== undefined) {
        figures.postgres_transition_cpu_growth = Number((lastCpu / firstCpu).toFixed(2));
        console.log(`  cpu ms per transition, the same ratio: ${(lastCpu / firstCpu).toFixed(2)}`);
      }
    }

    for (const runs of ([1, 8] as const).filter((runs) => parts.has(runs === 1 ? 'fleet' : 'runs'))) {
      const fleet = await fleetThroughput({ server, project, tasks: fleetTasks, runs });
      // The one-run figure is the target; the figure across runs has its own names.
      const name = runs === 1 ? 'postgres_fleet' : 'postgres_fleet_runs';
      const transitions = 2 * Math.ceil(fleetTasks / runs) * runs;
      figures[`${name}_transitions_per_s`] = Math.round(fleet.perSecond);
      figures[`${name}_done_once`] = fleet.doneOnce ? 1 : 0;
      const on = runs === 1 ? 'on one run' : `each on a run of its own (${transitions / 2 / runs} tasks each) in one database`;
      console.log(
        `${DEVELOPERS.length} worker processes ${on}, ${transitions / 2} tasks: ${transitions} transitions in ${(fleet.wallMs / 1000).toFixed(2)} s` +
          ` = ${Math.round(fleet.perSecond)} transitions/s${runs === 1 ? ' (target: at least 1000)' : ''}; ${fleet.updates} updates,` +
          ` ${fleet.emptyClaims} empty claims; every task done, claimed and finished exactly once: ${fleet.doneOnce ? 'yes' : 'NO'}`,
      );
      const workerCpu = fleet.workerCpuMs / transitions;
      figures[`${name}_worker_cpu_ms`] = Number(workerCpu.toFixed(3));
      let line = `  CPU per transition: ${workerCpu.toFixed(3)} ms in the worker processes`;
      if (fleet.serverCpuMs !== undefined) {
        const serverCpu = fleet.serverCpuMs / transitions;
        figures[`${name}_server_cpu_ms`] = Number(serverCpu.toFixed(3));
        line += `, ${serverCpu.toFixed(3)} ms in the server; wall time per transition ${(fleet.wallMs / transitions).toFixed(3)} ms on ${availableParallelism()} cores`;
      }
      console.log(line);
    }

    const latency = parts.has('latency') ? await readyToClaimed({ server, project, samples }) : undefined;
    if (latency !== undefined) {
      figures.postgres_ready_to_claimed_p50_ms = Number(quantile(latency.clock, 0.5).toFixed(2));
      figures.postgres_ready_to_claimed_p95_ms = Number(quantile(latency.clock, 0.95).toFixed(2));
      console.log(
        `ready → the other process has it (claimed or handed over; watch: LISTEN/NOTIFY), ${samples} samples: p50 ${quantile(latency.clock, 0.5).toFixed(2)} ms,` +
          ` p95 ${quantile(latency.clock, 0.95).toFixed(2)} ms, max ${Math.max(...latency.clock).toFixed(2)} ms (target: p95 under 50 ms);` +
          ` by the ledger's times: p50 ${quantile(latency.ledger, 0.5)} ms, p95 ${quantile(latency.ledger, 0.95)} ms`,
      );
    }
  } finally {
    await project.remove();
    await server.stop();
  }
  return figures;
}

function numberAfter(argv: readonly string[], flag: string): number | undefined {
  const index = argv.indexOf(flag);
  return index >= 0 && argv[index + 1] !== undefined ? Number(argv[index + 1]) : undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv;
  const sizesIndex = argv.indexOf('--sizes');
  await benchPostgresStore({
    sizes: sizesIndex >= 0 && argv[sizesIndex + 1] !== undefined ? (argv[sizesIndex + 1] as string).split(',').map(Number) : undefined,
    fleetTasks: numberAfter(argv, '--fleet-tasks'),
    samples: numberAfter(argv, '--samples'),
    only: argv.includes('--only') ? (argv[argv.indexOf('--only') + 1]?.split(',') as Part[]) : undefined,
  });
}
