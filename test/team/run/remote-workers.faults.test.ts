/**
 * A team on PostgreSQL whose role agents are `agent-team worker` processes under two host ids, run by
 * `agent-team run --remote-agents`: a worker killed mid-task (and started again), a worker frozen
 * mid-call until its task was handed to another (its late report is refused), and a PostgreSQL
 * restart mid-run. The run still ends done, every task done exactly once, and the spend is within the
 * cap and equal to the sum of the ledger's model calls. Real processes, real signals, a real server.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LedgerEntry, type LedgerEvent, PostgresStore, type TeamState } from '../../../src/state/index.js';
import { writeBenchTeam } from '../../bench/bench-team.js';
import { type CliProcess, ensureBuilt, startCli } from '../../support/cli.js';
import { postgresForFile } from '../../support/postgres.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { useProcessesTimeout } from '../../support/timeouts.js';

useProcessesTimeout();
const server = postgresForFile();

const CAP_USD = 40;
const TASKS = 32;
const AGENTS = ['backend-1', 'backend-2', 'frontend-1', 'frontend-2', 'qa-1', 'qa-2', 'reviewer-1', 'reviewer-2'] as const;
const HOST_OF = (agentId: string): string => (AGENTS.indexOf(agentId as (typeof AGENTS)[number]) < 4 ? 'host-a' : 'host-b');

type Entry = LedgerEntry<LedgerEvent>;

/** Polls `read` until `test` holds for what it returns; the bound only catches a hang. */
async function waitFor<T>(read: () => Promise<T>, test: (value: T) => boolean, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}: ${JSON.stringify(value, null, 1)?.slice(0, 6000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An agent in the middle of a model call on a task: it holds the task and a budget reservation. */
function busyTask(state: TeamState, agentId: string): { id: string; fence: number } | undefined {
  const holds = Object.values(state.budget.reservations).some((reservation) => reservation.agentId === agentId);
  const task = state.tasks.find((candidate) => candidate.status === 'in_progress' && candidate.assignee === agentId);
  return holds && task !== undefined ? { id: task.id, fence: task.fence } : undefined;
}

describe('a PostgreSQL team whose agents are workers on two hosts', () => {
  let project: TempProject;
  let url: string;
  const workers = new Map<string, CliProcess>();

  beforeAll(async () => {
    ensureBuilt();
    project = await tempProject('agent-team-remote-');
    await writeBenchTeam(project, {
      maxUsd: CAP_USD,
      extra: {
        coordination: { heartbeat_seconds: 2, check_interval_seconds: 1, max_iterations: 100_000 },
        provider: { time_scale: 0.04, blocker_rate: 0, seed: 3 },
      },
    });
    url = `${await (await server()).createDatabase()}&team=faults`;
  });

  afterAll(async () => {
    for (const worker of workers.values()) worker.kill('SIGKILL');
    await project?.cleanup();
  });

  const env = (host: string): NodeJS.ProcessEnv => ({ AGENT_TEAM_STORE: url, AGENT_TEAM_HOST: host });
  const startWorker = (agentId: string): CliProcess => {
    const worker = startCli(['worker', '--agents', agentId, '--once'], { cwd: project.dir, env: env(HOST_OF(agentId)) });
    workers.set(agentId, worker);
    return worker;
  };

  it('ends done with each task done once and the spend equal to the ledger, through kills, a freeze and a server restart', async () => {
    for (const agentId of AGENTS) startWorker(agentId);
    const run = startCli(
      [
        'run',
        '--feature',
        'Add a large batch of independent improvements',
        '--plan-tasks',
        String(TASKS),
        '--remote-agents',
        AGENTS.join(','),
        '--json',
      ],
      { cwd: project.dir, env: env('host-a') },
    );
    const storeUrl = url.replace('&team=faults', '');
    const store = new PostgresStore({ url: storeUrl, run: 'faults' });
    // Before the run's first write there is nothing to read yet.
    const state = (): Promise<TeamState | undefined> => store.read().catch(() => undefined);
    try {
      // 1. A worker killed in the middle of a model call, started again at once: the new process gives back what the dead one held.
      const killed = await waitFor(
        state,
        (now) => now !== undefined && busyTask(now, 'backend-1') !== undefined,
        'backend-1 is in a model call on a task',
      );
      const killedTask = busyTask(killed as TeamState, 'backend-1') as { id: string; fence: number };
      workers.get('backend-1')?.kill('SIGKILL');
      await workers.get('backend-1')?.done;
      startWorker('backend-1');

      // 2. A worker frozen mid-call (SIGSTOP) until the run notices its silence and hands its task to another agent.
      const frozen = await waitFor(
        state,
        (now) => now !== undefined && busyTask(now, 'frontend-2') !== undefined,
        'frontend-2 is in a model call on a task',
      );
      const frozenTask = busyTask(frozen as TeamState, 'frontend-2') as { id: string; fence: number };
      workers.get('frontend-2')?.kill('SIGSTOP');
      await waitFor(
        state,
        (now) => {
          const task = now?.tasks.find((candidate) => candidate.id === frozenTask.id);
          return task !== undefined && task.fence > frozenTask.fence && task.assignee !== 'frontend-2';
        },
        `${frozenTask.id} is claimed again by another agent`,
      );
      workers.get('frontend-2')?.kill('SIGCONT');

      // 3. The database restarts while the team works: every connection is cut.
      await waitFor(
        state,
        (now) => (now?.tasks.filter((task) => task.status === 'done').length ?? 0) >= TASKS / 2,
        'half the tasks are done',
      );
      const beforeRestart = (await state()) as TeamState;
      expect(beforeRestart.run.status).toBe('running');
      await (await server()).restart();

      const result = await run.done;
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 'done' });
      for (const worker of workers.values()) await worker.done;

      const final = await store.read();
      const ledger: Entry[] = await store.readLedger();
      const ofType = <T extends Entry['type']>(type: T) =>
        ledger.filter((entry): entry is Extract<Entry, { type: T }> => entry.type === type);

      expect(final.run.status).toBe('done');
      // The team went on working after the restart: tasks ended in updates committed after it.
      expect(ofType('task-end').filter((end) => end.seq > beforeRestart.seq).length).toBeGreaterThan(0);
      expect(final.tasks).toHaveLength(TASKS);
      expect(final.tasks.every((task) => task.status === 'done')).toBe(true);
      // Each task ended once, done; none twice.
      const ends = ofType('task-end');
      expect(
        ends
          .filter((end) => end.status === 'done')
          .map((end) => end.taskId)
          .sort(),
      ).toEqual(final.tasks.map((task) => task.id).sort());
      expect(ends).toHaveLength(TASKS);
      // The killed worker's task went back and was claimed again; the frozen one's late report was refused by its fence.
      expect(ofType('task-claim').filter((claim) => claim.taskId === killedTask.id).length).toBeGreaterThanOrEqual(2);
      expect(ofType('report-reject')).toContainEqual(
        expect.objectContaining({ agentId: 'frontend-2', taskId: frozenTask.id, fence: frozenTask.fence }),
      );
      expect(ofType('agent-stop')).toContainEqual(expect.objectContaining({ agentId: 'frontend-2', reason: 'no heartbeat' }));
      // Money: within the cap, every model call counted once, nothing left reserved.
      const calls = ofType('model-call');
      expect(final.budget.spentUsd).toBeLessThanOrEqual(CAP_USD);
      expect(final.budget.spentUsd).toBeCloseTo(
        calls.reduce((sum, call) => sum + call.costUsd, 0),
        9,
      );
      expect(final.budget.reservations).toEqual({});
      // One ledger row per committed update, their seqs gap-free, the last one the state's.
      const client = new pg.Client({ connectionString: storeUrl });
      await client.connect();
      const rows = await client
        .query<{ seq: string }>("SELECT seq FROM ledger WHERE run_key = 'faults' ORDER BY seq")
        .finally(() => client.end());
      const seqs = rows.rows.map((row) => Number(row.seq));
      expect(seqs).toEqual(seqs.map((_, index) => 1 + index));
      expect(seqs.at(-1)).toBe(final.seq);
      // Each agent ran on its worker's host.
      for (const start of ofType('agent-start')) expect(start.host).toBe(HOST_OF(start.agentId));
    } finally {
      run.kill('SIGKILL');
      await store.close();
    }
  });
});
