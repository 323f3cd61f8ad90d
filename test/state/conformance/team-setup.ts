/**
 * The team the conformance suite runs on: a temp project whose roster has six
 * backend developers that may hold any number of tasks, the state of a running
 * sim run with ready tasks, and the worker processes that act on a store (kept
 * between jobs, see worker-pool.ts).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTeamConfig, type TeamConfig } from '../../../src/config/index.js';
import { newBudgetBook } from '../../../src/cost/index.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../../../src/state/index.js';
import { initialTeamState } from '../../../src/team/run/run-state.js';
import { newTask } from '../../../src/team/tasks/task-factory.js';
import type { Worker } from '../../fixtures/worker-processes.js';
import { bundledScript } from '../../support/bundled-script.js';
import { testRunOptions } from '../../support/running-state.js';
import type { WorkerJob } from './worker-job.js';
import { type PooledJob, WorkerPool } from './worker-pool.js';

/** The developers of the roster, one per worker process. */
export const DEVELOPERS = ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'dev-6'] as const;

const workerScript = fileURLToPath(new URL('./store-worker.ts', import.meta.url));

/** A temp project with the conformance roster. */
export interface TeamProject {
  readonly dir: string;
  readonly config: TeamConfig;
  remove(): Promise<void>;
}

/**
 * Creates the temp project and loads its config through the product's loader: a manager and a backend
 * developer per id of `developers` (default DEVELOPERS), then `others`.
 */
export async function createTeamProject(
  input: {
    developers?: readonly string[];
    others?: readonly { id: string; role: string }[];
    prefix?: string;
    /** Each agent's max_concurrent_tasks but the manager's (default 1000: any number). */
    maxConcurrentTasks?: number;
  } = {},
): Promise<TeamProject> {
  const dir = await mkdtemp(join(tmpdir(), input.prefix ?? 'agent-team-conformance-'));
  const agents = [
    { id: 'manager', role: 'team_manager', max_concurrent_tasks: 10 },
    ...(input.developers ?? DEVELOPERS).map((id) => ({
      id,
      role: 'backend_developer',
      max_concurrent_tasks: input.maxConcurrentTasks ?? 1000,
    })),
    ...(input.others ?? []).map((agent) => ({ ...agent, max_concurrent_tasks: input.maxConcurrentTasks ?? 1000 })),
  ];
  await writeFile(join(dir, 'orchestrator-config.json'), `${JSON.stringify({ agents }, null, 2)}\n`);
  return { dir, config: loadTeamConfig({ cwd: dir }), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The state of a running sim run with `tasks` ready backend tasks (T1…) and, if given, a run token limit. */
export function runningState(input: { config: TeamConfig; tasks: number; limitTokens?: number }): TeamState {
  const { config } = input;
  const state = initialTeamState({
    config,
    runId: 'conformance',
    feature: 'A feature many processes work on at once',
    options: testRunOptions({ config, runId: 'conformance' }),
    simulated: true,
    budgetUsd: null,
    now: '2026-01-02T03:04:05.000Z',
  });
  state.run.status = 'running';
  state.tasks = Array.from({ length: input.tasks }, (_, index) =>
    newTask({
      task: {
        id: `T${index + 1}`,
        title: `Task ${index + 1}`,
        description: `Do part ${index + 1} of the feature.`,
        role: 'backend_developer',
        dependsOn: [],
        files: [],
        complexity: 'simple',
        acceptanceCriteria: [],
      },
      createdBy: 'manager',
      status: 'ready',
    }),
  );
  if (input.limitTokens !== undefined) state.budget = newBudgetBook({ limitTokens: input.limitTokens });
  return state;
}

let pool: WorkerPool | undefined;

/**
 * Bundles the worker script (see test/support/bundled-script.ts) and starts as many worker processes as a
 * race uses; call before spawnStoreWorker, in a beforeAll, and closeStoreWorkers in the afterAll.
 */
export async function prepareStoreWorker(): Promise<void> {
  pool ??= new WorkerPool(await bundledScript(workerScript));
  pool.warm(DEVELOPERS.length);
}

/** Ends the worker processes. */
export async function closeStoreWorkers(): Promise<void> {
  await pool?.close();
  pool = undefined;
}

/** Runs a job on the store at `location` in a worker process of its own while it runs (see store-worker.ts). */
export function spawnStoreWorker(job: Omit<WorkerJob, 'projectDir'> & { project: TeamProject }): PooledJob {
  if (pool === undefined) throw new Error('spawnStoreWorker: call prepareStoreWorker() in a beforeAll first');
  const { project, ...rest } = job;
  return pool.run({ ...rest, projectDir: project.dir });
}

/**
 * Waits for every worker's job to end well (exit code 0) and returns the JSON line each printed last. The first worker that
 * fails ends the wait at once (the others are killed): the rest may be waiting for what it held, and would
 * otherwise wait until the test times out, with nothing said. A guard well under the test timeout reports
 * the workers still running, with what they printed, instead of a bare timeout.
 */
export async function resultsOf<T>(workers: readonly Worker[], guardMs = 150_000): Promise<T[]> {
  const killAll = (): void => {
    for (const worker of workers) worker.child.kill('SIGKILL');
  };
  const report = (worker: Worker): string =>
    `worker ${workers.indexOf(worker) + 1} (pid ${worker.child.pid}): stdout ${JSON.stringify(worker.stdout().slice(-5))}\nstderr: ${worker.stderr().slice(-4000)}`;
  const exits = workers.map((worker) =>
    worker.exited.then((code) => {
      if (code !== 0) throw new Error(`a worker exited with ${code} while the others ran\n${report(worker)}`);
    }),
  );
  const done = new Set<Worker>();
  workers.forEach(
    (worker, index) =>
      void exits[index]?.then(
        () => done.add(worker),
        () => undefined,
      ),
  );
  try {
    await hangGuard(Promise.all(exits), guardMs, 'every worker exiting').catch((error: Error) => {
      const running = workers.filter((worker) => !done.has(worker));
      throw new Error(`${error.message}\nstill running:\n${running.map(report).join('\n')}`, { cause: error });
    });
  } catch (error) {
    killAll();
    throw error;
  }
  return Promise.all(workers.map(async (worker) => JSON.parse(await worker.line((line) => line.startsWith('{'))) as T));
}

/** Rejects with `what` when `promise` has not settled after `ms`: a guard against a hang, not a timing check. */
export async function hangGuard<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang guard: ${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** The seq of every ledger entry after `afterSeq`, in file order. */
export function seqsAfter(ledger: readonly LedgerEntry<LedgerEvent>[], afterSeq: number): number[] {
  return ledger.filter((entry) => entry.seq > afterSeq).map((entry) => entry.seq);
}
