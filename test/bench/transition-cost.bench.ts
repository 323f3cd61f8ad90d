/**
 * What one state transition costs as the plan grows, on each store: sim runs at
 * time scale 0 with 8 role agents in one process, at 200, 800, 1,600 and 3,200
 * planned tasks on the file store, and at 200, 800 and 3,200 on PostgreSQL (a
 * throwaway local server, unix socket; its CPU time per commit is printed too, on Linux). The figure is wall time over state
 * commits (ledger seqs); a store whose cost follows the change keeps it about
 * flat as the plan grows. A 100-task run before the measured ones warms the process up. Targets: the file store at 1,600 tasks at most 2x its
 * figure at 200; PostgreSQL at 3,200 tasks within 1.3x of its figure at 200.
 *
 * Run: npx tsx test/bench/transition-cost.bench.ts [--tasks 200,800] [--store file|postgres]
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { runTeam } from '../../src/team/index.js';
import { type Entry, readEntries } from '../support/ledger.js';
import { startPostgres } from '../support/postgres.js';
import { tempProject } from '../support/temp-project.js';
import { writeBenchTeam } from './bench-team.js';
import { serverCpuMs } from './postgres-server-cpu.js';

const DEFAULT_SIZES = { file: [200, 800, 1600, 3200], postgres: [200, 800, 3200] } as const;
type StoreKind = keyof typeof DEFAULT_SIZES;
// The warm-up run before the measured ones (not counted).
const WARM_UP_TASKS = 100;
const TARGETS: Record<StoreKind, { size: number; growth: number }> = {
  file: { size: 1600, growth: 2 },
  postgres: { size: 3200, growth: 1.3 },
};

/** One sim run of `tasks` planned tasks on `store` (undefined: the file store): wall time, commits and cost per commit. */
async function measure(
  tasks: number,
  store: string | undefined,
  /** The PostgreSQL server's data directory, whose CPU time is counted too. */
  serverData?: string,
): Promise<{
  wallMs: number;
  commits: number;
  status: string;
  perCommitMs: number;
  cpuPerCommitMs: number;
  serverCpuPerCommitMs: number | undefined;
}> {
  const project = await tempProject('agent-team-bench-cost-');
  try {
    // Every agent takes a few hundred tasks here; the default cap would end the run early.
    const configFile = await writeBenchTeam(project, { maxUsd: 100_000, extra: { coordination: { max_iterations: 100_000 } } });
    const config = loadTeamConfig({ configPath: configFile, cwd: project.dir, store });
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const serverBefore = serverData === undefined ? undefined : serverCpuMs(serverData);
    const result = await runTeam({ config, feature: 'Add a large batch of independent improvements', planTasks: tasks, timeScale: 0 });
    const wallMs = performance.now() - started;
    // CPU time too: on a shared machine other processes stretch the wall time, much less this process's CPU time.
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const serverAfter = serverData === undefined ? undefined : serverCpuMs(serverData);
    const ledger = await readEntries(result.files.ledger);
    const first = ledger[0] as Entry;
    const last = ledger.at(-1) as Entry;
    const commits = last.seq - first.seq + 1;
    const serverCpuPerCommitMs =
      serverBefore === undefined || serverAfter === undefined ? undefined : (serverAfter - serverBefore) / commits;
    return { wallMs, commits, status: result.status, perCommitMs: wallMs / commits, cpuPerCommitMs: cpuMs / commits, serverCpuPerCommitMs };
  } finally {
    await project.cleanup();
  }
}

/** Runs the benchmark and returns `transition_cost_<store>_<n>_*` figures. */
export async function benchTransitionCost(
  options: { sizes?: readonly number[]; stores?: readonly StoreKind[] } = {},
): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  for (const kind of options.stores ?? (['file', 'postgres'] as const)) {
    const sizes = options.sizes ?? DEFAULT_SIZES[kind];
    const server = kind === 'postgres' ? await startPostgres() : undefined;
    try {
      console.log(`Cost per state transition as the plan grows, ${kind} store (sim, time scale 0, 8 role agents, one process)`);
      const storeOf = async (): Promise<string | undefined> =>
        server === undefined ? undefined : `${await server.createDatabase()}&team=bench`;
      // A first run loads and compiles the code every later run reuses: measured, it would make the smallest plan look dearer.
      const serverData = server === undefined ? undefined : join(server.directory, 'data');
      await measure(WARM_UP_TASKS, await storeOf(), serverData);
      console.log(
        `planned tasks  status  wall s  commits  ms per commit  cpu ms per commit${server === undefined ? '' : '  server cpu ms per commit'}`,
      );
      for (const tasks of sizes) {
        const run = await measure(tasks, await storeOf(), serverData);
        const prefix = `transition_cost_${kind}_${tasks}`;
        figures[`${prefix}_wall_ms`] = Math.round(run.wallMs);
        figures[`${prefix}_commits`] = run.commits;
        figures[`${prefix}_ms_per_commit`] = Number(run.perCommitMs.toFixed(2));
        figures[`${prefix}_cpu_ms_per_commit`] = Number(run.cpuPerCommitMs.toFixed(2));
        if (run.serverCpuPerCommitMs !== undefined)
          figures[`${prefix}_server_cpu_ms_per_commit`] = Number(run.serverCpuPerCommitMs.toFixed(2));
        console.log(
          `${String(tasks).padStart(13)}  ${run.status.padStart(6)}  ${(run.wallMs / 1000).toFixed(1).padStart(6)}` +
            `  ${String(run.commits).padStart(7)}  ${run.perCommitMs.toFixed(2).padStart(13)}  ${run.cpuPerCommitMs.toFixed(2).padStart(17)}` +
            (run.serverCpuPerCommitMs === undefined ? '' : `  ${run.serverCpuPerCommitMs.toFixed(2).padStart(24)}`),
        );
      }
    } finally {
      await server?.stop();
    }
    const target = TARGETS[kind];
    for (const size of new Set([target.size, sizes.at(-1) as number])) {
      if (!sizes.includes(size) || sizes[0] === size) continue;
      for (const measure of ['ms', 'cpu_ms'] as const) {
        const smallest = figures[`transition_cost_${kind}_${sizes[0]}_${measure}_per_commit`] as number;
        const ratio = (figures[`transition_cost_${kind}_${size}_${measure}_per_commit`] as number) / smallest;
        figures[`transition_cost_${kind}_${measure}_growth_${size}`] = Number(ratio.toFixed(2));
        const goal = size === target.size ? ` (target: at most ${target.growth})` : '';
        console.log(`  ${measure.replace('_', ' ')} per commit at ${size} tasks / at ${sizes[0]} tasks: ${ratio.toFixed(2)}${goal}`);
      }
    }
  }
  return figures;
}

function argument(argv: readonly string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = argument(process.argv, '--tasks')?.split(',').map(Number);
  const store = argument(process.argv, '--store') as StoreKind | undefined;
  await benchTransitionCost({ sizes, stores: store === undefined ? undefined : [store] });
}
