/**
 * A 12-task sim run on the sample repository with 4 agents, every model call
 * taking the same simulated time: parallel time, sequential estimate and
 * speedup, against the best the dependency graph allows.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { runTeam } from '../../src/team/index.js';
import { longestChains } from '../../src/state/index.js';
import { taskWorkTimes } from '../../src/report/run-metrics.js';
import { readEntries } from '../support/ledger.js';
import { sampleRepo } from '../support/sample-repo.js';
import { tempProject } from '../support/temp-project.js';

const AGENTS = 4;
const TASKS = 12;
const LATENCY_MS = 600;

/** The longest chain of work through the dependency graph, each task weighing `work`. */
function criticalPath(tasks: readonly { id: string; dependsOn: readonly string[] }[], work: ReadonlyMap<string, number>): number {
  return Math.max(0, ...longestChains(tasks, (task) => work.get(task.id) ?? 0).values());
}

/** Runs the benchmark and returns its figures. */
export async function benchWorkspaceSpeedup(): Promise<Record<string, number>> {
  const repo = await sampleRepo('agent-team-bench-speedup-');
  const settings = await tempProject('agent-team-bench-speedup-config-');
  try {
    const configFile = await settings.write(
      'orchestrator-config.json',
      JSON.stringify({
        project_dir: repo.dir,
        agents: [
          { id: 'manager', role: 'team_manager', max_concurrent_tasks: 10 },
          ...Array.from({ length: AGENTS }, (_, index) => ({ id: `dev-${index + 1}`, role: 'backend_developer' })),
        ],
        coordination: { auto_merge: true },
        provider: { latency_ms: LATENCY_MS, time_scale: 1, blocker_rate: 0, gate_failure_rate: 0 },
        workspace: { test_command: ['node', '--test'] },
      }),
    );
    const config = loadTeamConfig({ configPath: configFile, cwd: settings.dir });
    const result = await runTeam({ config, feature: 'Add a dozen independent improvements', planTasks: TASKS, workspace: repo.dir });
    const ledger = await readEntries(result.files.ledger);
    const state = JSON.parse(await readFile(config.stateFile, 'utf8')) as { tasks: { id: string; dependsOn: string[] }[] };
    const work = taskWorkTimes(ledger as never);
    const total = [...work.values()].reduce((sum, value) => sum + value, 0);
    const path = criticalPath(state.tasks, work);
    const best = Math.min(total / path, AGENTS);
    const { metrics } = result.summary;
    // The same bound with no orchestration cost at all: each task is its three calls (work, report, gates in parallel).
    const nominal = new Map(state.tasks.map((task) => [task.id, 3 * LATENCY_MS]));
    const nominalPath = criticalPath(state.tasks, nominal);
    const idealParallel = Math.max(nominalPath, (state.tasks.length * 3 * LATENCY_MS) / AGENTS);
    const figures = {
      speedup_tasks: metrics.totalTasks,
      speedup_done: metrics.successful,
      speedup_parallel_ms: metrics.parallelTimeMs,
      speedup_sequential_ms: metrics.estimatedSequentialTimeMs,
      speedup: Number(metrics.speedupRatio.toFixed(3)),
      speedup_critical_path_ms: path,
      speedup_best: Number(best.toFixed(3)),
      speedup_of_best: Number((metrics.speedupRatio / best).toFixed(3)),
      speedup_ideal_parallel_ms: idealParallel,
      speedup_parallel_vs_ideal: Number((idealParallel / metrics.parallelTimeMs).toFixed(3)),
    };
    console.log(
      `Workspace run: ${TASKS} sim tasks on the sample repository, ${AGENTS} agents, ` +
        `every call ${LATENCY_MS} ms (${result.status}, ${metrics.successful} done)`,
    );
    console.log(
      `  parallel ${metrics.parallelTime}, sequential estimate ${metrics.estimatedSequentialTime} ` +
        '(work per task: claim to answer, then gates, merge and tests)',
    );
    console.log(
      `  critical path ${(path / 1000).toFixed(1)}s; best speedup min(work / critical path, agents) = ` +
        `min(${(total / path).toFixed(2)}, ${AGENTS}) = ${best.toFixed(2)}x`,
    );
    console.log(`  speedup ${metrics.speedup} = ${(figures.speedup_of_best * 100).toFixed(1)}% of the best   (target: within 10%)`);
    console.log(
      `  with no orchestration cost (each task exactly its 3 calls) the run would take ${(idealParallel / 1000).toFixed(1)}s: ` +
        `the real one reaches ${(figures.speedup_parallel_vs_ideal * 100).toFixed(0)}% of that (git, tests and merges take the rest)`,
    );
    return figures;
  } finally {
    await repo.cleanup();
    await settings.cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchWorkspaceSpeedup();
}
