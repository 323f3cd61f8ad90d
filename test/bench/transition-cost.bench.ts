/**
 * What one state transition costs as the plan grows: sim runs at time scale 0
 * with 8 role agents in one process, at 200, 800 and 1,600 planned tasks (and
 * 3,200 with --large). The figure is wall time over state commits; a store whose
 * cost follows the change keeps it about flat as the plan grows.
 *
 * Run: npx tsx test/bench/transition-cost.bench.ts [--large] [--tasks 200,800]
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { runTeam } from '../../src/team/index.js';
import { type Entry, readEntries } from '../support/ledger.js';
import { tempProject } from '../support/temp-project.js';
import { writeBenchTeam } from './bench-team.js';

const DEFAULT_SIZES = [200, 800, 1600] as const;

/** One sim run of `tasks` planned tasks: wall time, commits and cost per commit. */
async function measure(
  tasks: number,
): Promise<{ wallMs: number; commits: number; status: string; perCommitMs: number; cpuPerCommitMs: number }> {
  const project = await tempProject('agent-team-bench-cost-');
  try {
    // Every agent takes a few hundred tasks here; the default cap would end the run early.
    const configFile = await writeBenchTeam(project, { maxUsd: 100_000, extra: { coordination: { max_iterations: 100_000 } } });
    const config = loadTeamConfig({ configPath: configFile, cwd: project.dir });
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const result = await runTeam({ config, feature: 'Add a large batch of independent improvements', planTasks: tasks, timeScale: 0 });
    const wallMs = performance.now() - started;
    // CPU time too: on a shared machine other processes stretch the wall time, much less this process's CPU time.
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const ledger = await readEntries(result.files.ledger);
    const first = ledger[0] as Entry;
    const last = ledger.at(-1) as Entry;
    const commits = last.seq - first.seq + 1;
    return { wallMs, commits, status: result.status, perCommitMs: wallMs / commits, cpuPerCommitMs: cpuMs / commits };
  } finally {
    await project.cleanup();
  }
}

/** Runs the benchmark and returns `transition_cost_<n>_*` figures. */
export async function benchTransitionCost(options: { sizes?: readonly number[] } = {}): Promise<Record<string, number>> {
  const sizes = options.sizes ?? DEFAULT_SIZES;
  const figures: Record<string, number> = {};
  console.log('Cost per state transition as the plan grows (sim, time scale 0, 8 role agents, one process)');
  console.log('planned tasks  status  wall s  commits  ms per commit  cpu ms per commit');
  for (const tasks of sizes) {
    const run = await measure(tasks);
    figures[`transition_cost_${tasks}_wall_ms`] = Math.round(run.wallMs);
    figures[`transition_cost_${tasks}_commits`] = run.commits;
    figures[`transition_cost_${tasks}_ms_per_commit`] = Number(run.perCommitMs.toFixed(2));
    figures[`transition_cost_${tasks}_cpu_ms_per_commit`] = Number(run.cpuPerCommitMs.toFixed(2));
    console.log(
      `${String(tasks).padStart(13)}  ${run.status.padStart(6)}  ${(run.wallMs / 1000).toFixed(1).padStart(6)}` +
        `  ${String(run.commits).padStart(7)}  ${run.perCommitMs.toFixed(2).padStart(13)}  ${run.cpuPerCommitMs.toFixed(2).padStart(17)}`,
    );
  }
  for (const measure of ['ms', 'cpu_ms'] as const) {
    const smallest = figures[`transition_cost_${sizes[0]}_${measure}_per_commit`];
    const largest = figures[`transition_cost_${sizes.at(-1)}_${measure}_per_commit`];
    if (smallest === undefined || largest === undefined || sizes.length < 2) continue;
    const ratio = largest / smallest;
    figures[`transition_cost_${measure}_growth`] = Number(ratio.toFixed(2));
    console.log(
      `  ${measure.replace('_', ' ')} per commit at ${sizes.at(-1)} tasks / at ${sizes[0]} tasks: ${ratio.toFixed(2)} (target: at most 2)`,
    );
  }
  return figures;
}

function sizesFromArguments(argv: readonly string[]): number[] {
  const index = argv.indexOf('--tasks');
  if (index >= 0 && argv[index + 1] !== undefined) return (argv[index + 1] as string).split(',').map(Number);
  return argv.includes('--large') ? [...DEFAULT_SIZES, 3200] : [...DEFAULT_SIZES];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchTransitionCost({ sizes: sizesFromArguments(process.argv) });
}
