/**
 * Wake-up latency: from a task becoming ready to an idle agent (its own OS
 * process) claiming it, with check_interval_seconds at 30 — so only the
 * event-driven path can be fast.
 */
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { newTask } from '../../src/team/tasks/task-factory.js';
import { writeRunningState } from '../support/running-state.js';
import { ensureBuilt, startCli } from '../support/cli.js';
import { readEntries } from '../support/ledger.js';
import { tempProject } from '../support/temp-project.js';
import { quantile } from './percentiles.js';

/** Runs the benchmark and returns its figures. */
export async function benchWakeLatency(options: { samples?: number } = {}): Promise<Record<string, number>> {
  ensureBuilt();
  const samples = options.samples ?? 60;
  const project = await tempProject('agent-team-bench-wake-');
  try {
    const configFile = await project.write(
      'orchestrator-config.json',
      JSON.stringify({
        agents: [
          { id: 'manager', role: 'team_manager' },
          { id: 'worker', role: 'backend_developer' },
        ],
        coordination: { check_interval_seconds: 30, max_iterations: 100_000 },
        budget: { max_usd: null },
        provider: { time_scale: 0, blocker_rate: 0 },
      }),
    );
    const config = loadTeamConfig({ configPath: configFile, cwd: project.dir });
    const store = await writeRunningState({ config, runId: 'bench-wake', feature: 'Wake-up latency' });
    const agent = startCli(['agent', '--id', 'worker', '--config', configFile], { cwd: project.dir });
    const waitFor = (predicate: (state: Awaited<ReturnType<typeof store.read>>) => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          store
            .read()
            .then((state) => {
              if (predicate(state)) {
                stop();
                clearInterval(poll);
                resolve();
              }
            })
            .catch(reject);
        };
        const stop = store.watch(check);
        const poll = setInterval(check, 50);
        check();
      });
    await waitFor((state) => state.agents['worker']?.heartbeatAt !== null);
    for (let index = 1; index <= samples; index += 1) {
      const id = `W${index}`;
      await store.update((state, context) => {
        state.tasks.push(
          newTask({
            task: {
              id,
              title: `Wake ${index}`,
              description: 'Measure how fast an idle agent claims a ready task.',
              role: 'backend_developer',
              dependsOn: [],
              files: [],
              complexity: 'simple',
              acceptanceCriteria: [],
            },
            createdBy: 'bench',
            status: 'ready',
          }),
        );
        context.emit({ type: 'task-ready', taskId: id });
      });
      await waitFor((state) => state.tasks.find((task) => task.id === id)?.status === 'done');
    }
    await store.update((state) => {
      state.run.status = 'done';
    });
    await agent.done;
    const ledger = await readEntries(config.ledgerFile);
    const readyAt = new Map(ledger.filter((entry) => entry.type === 'task-ready').map((entry) => [entry['taskId'], Date.parse(entry.at)]));
    const latencies = ledger
      .filter((entry) => entry.type === 'task-claim')
      .map((entry) => Date.parse(entry.at) - (readyAt.get(entry['taskId']) ?? Number.NaN))
      .filter((value) => Number.isFinite(value));
    const figures = {
      wake_samples: latencies.length,
      wake_p50_ms: quantile(latencies, 0.5),
      wake_p95_ms: quantile(latencies, 0.95),
      wake_max_ms: Math.max(...latencies),
    };
    console.log(`Wake-up latency, ready -> claimed by an idle agent process (poll interval 30 s), ${latencies.length} samples`);
    console.log(`  p50 ${figures.wake_p50_ms} ms   p95 ${figures.wake_p95_ms} ms   max ${figures.wake_max_ms} ms   (target: p95 < 100 ms)`);
    return figures;
  } finally {
    await project.cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchWakeLatency();
}
