import { join } from 'node:path';
import type { TeamConfig } from '../../src/config/index.js';
import type { Task } from '../../src/state/index.js';
import { initialTeamState, openTeamStore, type TeamStore } from '../../src/team/index.js';

/**
 * Writes the state of a sim run that is already running with `tasks` (no manager
 * planning), for tests and benchmarks that drive agent processes directly.
 */
export async function writeRunningState(input: { config: TeamConfig; runId: string; feature: string; tasks?: Task[] }): Promise<TeamStore> {
  const { config } = input;
  const fresh = initialTeamState({
    config,
    runId: input.runId,
    feature: input.feature,
    options: {
      provider: 'sim',
      seed: 1,
      timeScale: 0,
      blockerRate: 0,
      gateFailureRate: 0,
      planTasks: null,
      configFile: config.configFile,
      runDir: join(config.runsDir, input.runId),
      record: null,
      replay: null,
      workspace: null,
    },
    simulated: true,
    budgetUsd: null,
    now: new Date().toISOString(),
  });
  fresh.run.status = 'running';
  fresh.tasks = input.tasks ?? [];
  const store = openTeamStore(config, () => structuredClone(fresh));
  await store.update(() => undefined);
  return store;
}
