/**
 * A 12-task sim run on the sample repository with 4 agents, every model call
 * taking the same simulated time: parallel time, sequential estimate and
 * speedup (all in model time), against the best the dependency graph allows.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { runTeam } from '../../src/team/index.js';
import { longestChains } from '../../src/state/index.js';
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
    const calls = ledger.filter((entry) => entry.type === 'model-call');
    const latency = (entry: (typeof calls)[number]): number => entry['latencyMs'] as number;
    // An agent's own calls on a task hold its lane; the gates of a change run at once, beside the agents.
    const laneWork = new Map<string, number>();
    const gateSpan = new Map<string, number>();
    for (const entry of calls) {
      const taskId = entry['taskId'];
      if (typeof taskId !== 'string') continue;
      if (entry['purpose'] === 'gate') gateSpan.set(taskId, Math.max(gateSpan.get(taskId) ?? 0, latency(entry)));
      else laneWork.set(taskId, (laneWork.get(taskId) ?? 0) + latency(entry));
    }
    const work = new Map(state.tasks.map((task) => [task.id, (laneWork.get(task.id) ?? 0) + (gateSpan.get(task.id) ?? 0)]));
    const taskWork = [...laneWork.values()].reduce((sum, value) => sum + value, 0);
    // Planning and the integration summary come before and after every task, whatever the team.
    const serial = calls.filter((entry) => entry['taskId'] === null).reduce((sum, entry) => sum + latency(entry), 0);
    const path = criticalPath(state.tasks, work);
    const bestParallel = serial + Math.max(path, taskWork / AGENTS);
    const best = calls.reduce((sum, entry) => sum + latency(entry), 0) / bestParallel;
    const { metrics } = result.summary;
    // The same bound with no rework at all: each task is its three calls (work, report, gates in parallel).
    const nominal = new Map(state.tasks.map((task) => [task.id, 3 * LATENCY_MS]));
    const nominalPath = criticalPath(state.tasks, nominal);
    const idealParallel = serial + Math.max(nominalPath, (state.tasks.length * 3 * LATENCY_MS) / AGENTS);
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
        `(${metrics.timeBasis}: every call, the run replayed on a virtual clock)`,
    );
    console.log(
      `  critical path ${(path / 1000).toFixed(1)}s, plan and integration ${(serial / 1000).toFixed(1)}s; best speedup ` +
        `(all calls) / (plan and integration + max(critical path, agents' work / agents)) = ${best.toFixed(2)}x`,
    );
    console.log(`  speedup ${metrics.speedup} = ${(figures.speedup_of_best * 100).toFixed(1)}% of the best   (target: within 10%)`);
    console.log(
      `  with no rework (each task exactly its 3 calls) the run would take ${(idealParallel / 1000).toFixed(1)}s of model time: ` +
        `the real one reaches ${(figures.speedup_parallel_vs_ideal * 100).toFixed(0)}% of that (retries and repairs take the rest)`,
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
