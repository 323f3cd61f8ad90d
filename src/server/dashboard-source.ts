/**
 * The runs a dashboard shows, wherever they come from: the tasks of `agent-team serve` (one team run per
 * task id), or the run of `agent-team run --ui` beside the runs recorded in its runs directory.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TeamConfig } from '../config/index.js';
import { runFiles } from '../report/index.js';
import { type LedgerEntry, type LedgerEvent, ledgerEventSchema, readLedger, type TeamState } from '../state/index.js';
import { RunLedgerReader, readTeamStateAt, withTeamStore } from '../team/index.js';
import { ServiceError } from './service-error.js';
import { tasksDirectory } from './task-config.js';
import type { TaskRuns } from './task-runs.js';
import { taskStatus } from './task-status.js';

/** One run as the dashboard reads it. */
export interface DashboardRun {
  /** The id its pages are addressed by: the task id (serve) or the run id (run --ui). */
  readonly id: string;
  /** The status to show: the service's task status, or the run's own. */
  readonly status: string;
  /** True while it executes in this process (its views follow it live). */
  readonly active: boolean;
  readonly state: TeamState | null;
  readonly config: TeamConfig;
  /** The run's record directory (transcripts under `agents/`), or null before the run has one. */
  readonly runDir: string | null;
  /** True when a person may answer its blockers here (the service's routes exist). */
  readonly answerable: boolean;
}

/** Where the dashboard finds runs. */
export interface DashboardSource {
  /** Every run's id, newest first when known. */
  ids(): Promise<string[]>;
  /** The run, or null when there is no run by that id. */
  run(id: string): Promise<DashboardRun | null>;
  /** The run's ledger (all its entries). */
  ledger(run: DashboardRun): Promise<LedgerEntry<LedgerEvent>[]>;
  /** Lets go of what it holds (the connections of a database ledger it reads), when it has anything to let go of. */
  close?(): Promise<void>;
}

/** Ids the dashboard accepts in a path: what a task id may be, so none walks out of its directory. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `id` can name a run. */
export function isRunId(id: string): boolean {
  return ID_PATTERN.test(id) && !id.includes('..');
}

async function directories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && isRunId(entry.name)).map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The tasks of the service: each task's team run, its status as GET /tasks/{task_id} says it. */
export function serviceSource(input: { runs: TaskRuns; dataDir: string }): DashboardSource {
  const { runs, dataDir } = input;
  return {
    async ids() {
      return (await directories(tasksDirectory(dataDir))).sort().reverse();
    },
    async run(id) {
      if (!isRunId(id)) return null;
      let snapshot: Awaited<ReturnType<TaskRuns['snapshot']>>;
      try {
        snapshot = await runs.snapshot(id);
      } catch (error) {
        if (error instanceof ServiceError && error.status === 404) return null;
        throw error;
      }
      const { state } = snapshot;
      return {
        id,
        status: taskStatus(snapshot),
        active: snapshot.active,
        state,
        config: snapshot.config,
        runDir: state?.run.options.runDir ?? null,
        answerable: true,
      };
    },
    ledger: (run) => runs.ledgers.read(run.config),
  };
}

/**
 * The run of one `agent-team run` (the config's store, live) and the runs recorded under the config's
 * runs directory, read-only: nobody answers a blocker through this dashboard.
 */
export function localRunSource(input: { config: TeamConfig; active: () => boolean }): DashboardSource {
  const { config } = input;
  // The live run's ledger grows while the dashboard follows it: read from where the last look stopped.
  const ledgers = new RunLedgerReader();
  const live = async (): Promise<TeamState | null> =>
    withTeamStore(config, async (store) => ((await store.exists()) ? store.read() : null));
  const recorded = (id: string): string => join(config.runsDir, id);
  return {
    async ids() {
      const current = await live();
      const ids = (await directories(config.runsDir)).sort().reverse();
      return current === null ? ids : [current.run.id, ...ids.filter((id) => id !== current.run.id)];
    },
    async run(id) {
      if (!isRunId(id)) return null;
      const current = await live();
      if (current !== null && current.run.id === id) {
        const active = input.active() && current.run.owner !== null;
        return { id, status: current.run.status, active, state: current, config, runDir: current.run.options.runDir, answerable: false };
      }
      const state = await readTeamStateAt(runFiles(recorded(id)).state);
      if (state === null) return null;
      return { id, status: state.run.status, active: false, state, config, runDir: recorded(id), answerable: false };
    },
    async ledger(run) {
      const current = await live();
      if (current !== null && current.run.id === run.id) return ledgers.read(config);
      return readLedger(runFiles(recorded(run.id)).ledger, { eventSchema: ledgerEventSchema });
    },
    close: () => ledgers.close(),
  };
}
