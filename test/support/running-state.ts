import { join } from 'node:path';
import type { TeamConfig } from '../../src/config/index.js';
import type { RunOptions, Task } from '../../src/state/index.js';
import { initialTeamState } from '../../src/team/run/run-state.js';
import { holdLease, newRunOwner } from '../../src/team/run/run-owner.js';
import { openTeamStore } from '../../src/team/index.js';
import type { TeamStore } from '../../src/team/agents/team-context.js';

/** The options of a test run: sim defaults, instant, no blockers, no workspace; `overrides` win. */
export function testRunOptions(input: { config: TeamConfig; runId: string; overrides?: Partial<RunOptions> }): RunOptions {
  return {
    provider: 'sim',
    seed: 1,
    timeScale: 0,
    blockerRate: 0,
    gateFailureRate: 0,
    planTasks: null,
    configFile: input.config.configFile,
    runDir: join(input.config.runsDir, input.runId),
    record: null,
    replay: null,
    workspace: null,
    ...input.overrides,
  };
}

/**
 * Writes the state of a sim run that is already running with `tasks` (no manager
 * planning), for tests and benchmarks that drive agent processes directly.
 */
export async function writeRunningState(input: { config: TeamConfig; runId: string; feature: string; tasks?: Task[] }): Promise<TeamStore> {
  const { config } = input;
  // The test process owns the run, for an hour, and holds it: agent processes join it under this lease.
  const owner = newRunOwner({ command: 'test', now: new Date(), leaseMs: 3_600_000 });
  holdLease(owner.lease);
  const fresh = initialTeamState({
    config,
    runId: input.runId,
    feature: input.feature,
    options: testRunOptions({ config, runId: input.runId }),
    simulated: true,
    budgetUsd: null,
    now: new Date().toISOString(),
    owner,
  });
  fresh.run.status = 'running';
  fresh.tasks = input.tasks ?? [];
  const store = openTeamStore(config, () => structuredClone(fresh));
  await store.update(() => undefined);
  return store;
}
