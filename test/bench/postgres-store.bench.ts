/**
 * PostgresStore.update() against a throwaway local server: the time of an update that changes one
 * agent, for runs of 100 and 2000 tasks, when the handle is up to date and when another handle wrote
 * in between (so it must catch up with one changed row first). Figures are printed, not asserted.
 *
 * Run: npx tsx test/bench/postgres-store.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadTeamConfig } from '../../src/config/index.js';
import { PostgresStore } from '../../src/state/index.js';
import { createTeamProject, runningState } from '../state/conformance/team-setup.js';
import { startPostgres } from '../support/postgres.js';
import { quantile } from './percentiles.js';

const TASK_COUNTS = [100, 2000] as const;
const DEFAULT_UPDATES = 300;

/** Measures PostgresStore.update(); returns `postgres_store_<n>t_*` figures. */
export async function benchPostgresStore(options: { updates?: number } = {}): Promise<Record<string, number>> {
  const updates = options.updates ?? DEFAULT_UPDATES;
  const server = await startPostgres();
  const project = await createTeamProject();
  const figures: Record<string, number> = {};
  const rows: string[] = [];
  try {
    const config = loadTeamConfig({ cwd: project.dir });
    for (const tasks of TASK_COUNTS) {
      const url = await server.createDatabase();
      const initial = runningState({ config, tasks });
      const first = new PostgresStore({ url, run: 'bench', initial: () => structuredClone(initial) });
      const second = new PostgresStore({ url, run: 'bench' });
      const bump = (agentId: string) => (state: { agents: Record<string, { calls: number } | undefined> }) => {
        const agent = state.agents[agentId];
        if (agent !== undefined) agent.calls += 1;
      };
      await first.update(() => undefined);
      await second.read();
      // Warm-up: the first update of a handle loads every row.
      for (let index = 0; index < 20; index += 1) await first.update(bump('dev-1'));
      const alone: number[] = [];
      for (let index = 0; index < updates; index += 1) {
        const started = performance.now();
        await first.update(bump('dev-1'));
        alone.push(performance.now() - started);
      }
      const catchingUp: number[] = [];
      for (let index = 0; index < updates; index += 1) {
        const [writer, measured] = index % 2 === 0 ? [first, second] : [second, first];
        await writer.update(bump('dev-2'));
        const started = performance.now();
        await measured.update(bump('dev-3'));
        catchingUp.push(performance.now() - started);
      }
      await Promise.all([first.close(), second.close()]);
      const prefix = `postgres_store_${tasks}t`;
      figures[`${prefix}_p50_ms`] = quantile(alone, 0.5);
      figures[`${prefix}_p95_ms`] = quantile(alone, 0.95);
      figures[`${prefix}_catch_up_p50_ms`] = quantile(catchingUp, 0.5);
      figures[`${prefix}_catch_up_p95_ms`] = quantile(catchingUp, 0.95);
      rows.push(
        `${String(tasks).padStart(5)}  ${quantile(alone, 0.5).toFixed(2).padStart(7)}  ${quantile(alone, 0.95).toFixed(2).padStart(7)}` +
          `  ${quantile(catchingUp, 0.5).toFixed(2).padStart(12)}  ${quantile(catchingUp, 0.95).toFixed(2).padStart(12)}`,
      );
    }
  } finally {
    await project.remove();
    await server.stop();
  }
  console.log(`PostgresStore.update() changing one agent row, ${updates} updates each, local server over a unix socket`);
  console.log('tasks  p50 ms  p95 ms  catch-up p50  catch-up p95');
  for (const row of rows) console.log(row);
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchPostgresStore();
}
