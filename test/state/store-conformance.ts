/**
 * The conformance suite every StateStore passes: the same claim race, budget race,
 * many-process updates, crash, corruption, wake-up, resume and close tests, with
 * real processes, for the file store and for any other store. A store that passes
 * it can run a team. `describeStateStore(name, factory)` declares the suite.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StateCorruptedError, StateMissingError } from '../../src/errors/index.js';
import type { LedgerEntry, LedgerEvent, StateStore, TeamState } from '../../src/state/index.js';
import {
  closeStoreWorkers,
  createTeamProject,
  DEVELOPERS,
  hangGuard,
  prepareStoreWorker,
  resultsOf,
  runningState,
  seqsAfter,
  spawnStoreWorker,
  type TeamProject,
} from './conformance/team-setup.js';
import type { PooledJob } from './conformance/worker-pool.js';
import type { StoreKind } from './conformance/worker-job.js';

type TeamStore = StateStore<TeamState, LedgerEvent>;

/** One store made for one test. */
export interface StoreUnderTest {
  /** JSON that the factory's opener module turns into a handle on this store in another process. */
  readonly location: unknown;
  /** Where the state lives (a file path, a database and table): errors about it must name it. */
  readonly where: string;
  /** A new handle on the store in this process. */
  open(): TeamStore;
  /** The ledger, in order. */
  ledger(): Promise<LedgerEntry<LedgerEvent>[]>;
  /** The state as stored (bytes, rows) and the ledger, to show that nothing was written. */
  raw(): Promise<string>;
  /**
   * Damages the stored state: `syntax` so that it cannot be parsed at all, `schema` so that
   * task T1's status is one the schema does not know. Returns what the error must name.
   */
  corrupt(kind: 'syntax' | 'schema'): Promise<string[]>;
  /** Fails when a dead or closed process still holds something (a lock, a session). */
  assertReleased(): Promise<void>;
  /** Removes the store. */
  dispose(): Promise<void>;
}

/**
 * Makes fresh stores of one kind, and tells worker processes how to open them. A file store's
 * location is its paths; a database store's is a connection URL to a database of its own
 * (test/support/postgres.ts makes one per test with `createDatabase()`), and it corrupts its
 * state the way an operator's bad SQL would.
 */
export interface StoreFactory {
  /** Which store it makes: worker processes open it with that store's opener. */
  readonly opener: StoreKind;
  /** A new store holding `initial`, or holding nothing when `initial` is undefined. */
  create(input: { initial: TeamState | undefined }): Promise<StoreUnderTest>;
}

// Processes racing in each multi-process case; each one is a developer of the roster.
const PROCESSES = DEVELOPERS.length;
// A bound for a broken store only: a healthy one wakes its watcher in milliseconds.
const WAKE_HANG_GUARD_MS = 45_000;
// Multi-process cases do a fixed amount of work whose time grows with the machine's load.
const PROCESS_TEST_TIMEOUT_MS = 180_000;

/** Declares the conformance suite for the store that `factory` makes. */
export function describeStateStore(name: string, factory: StoreFactory): void {
  describe(`StateStore conformance: ${name}`, () => {
    let project: TeamProject;
    const made: StoreUnderTest[] = [];
    const handles: TeamStore[] = [];
    const spawned: PooledJob[] = [];

    beforeAll(async () => {
      project = await createTeamProject();
      await prepareStoreWorker();
    });
    afterAll(async () => {
      await closeStoreWorkers();
      await project?.remove();
    });
    afterEach(async () => {
      // A failed or timed-out case must not leave its jobs running on the machine.
      for (const running of spawned.splice(0)) await running.stop();
      // A handle that fails to close (a broken store) must not keep its store from being removed.
      await Promise.allSettled(handles.splice(0).map((handle) => handle.close()));
      await Promise.all(made.splice(0).map((store) => store.dispose()));
    });

    const create = async (initial: TeamState | undefined): Promise<StoreUnderTest> => {
      const store = await factory.create({ initial });
      made.push(store);
      return store;
    };
    const open = (store: StoreUnderTest): TeamStore => {
      const handle = store.open();
      handles.push(handle);
      return handle;
    };
    const worker = (
      store: StoreUnderTest,
      job: Omit<Parameters<typeof spawnStoreWorker>[0], 'opener' | 'location' | 'project'>,
    ): PooledJob => {
      const started = spawnStoreWorker({ ...job, opener: factory.opener, location: store.location, project });
      spawned.push(started);
      return started;
    };

    it(
      'gives each of 60 ready tasks to exactly one of 6 processes claiming with claimTask',
      async () => {
        const store = await create(runningState({ config: project.config, tasks: 60 }));
        const workers = DEVELOPERS.map((agentId) => worker(store, { mode: 'claim', agentId }));
        const results = await resultsOf<{ claimed: string[] }>(workers);

        const claimedBy = new Map<string, string[]>();
        results.forEach((result, index) => {
          for (const taskId of result.claimed) claimedBy.set(taskId, [...(claimedBy.get(taskId) ?? []), DEVELOPERS[index] as string]);
        });
        const doubles = [...claimedBy].filter(([, agents]) => agents.length > 1);
        expect(doubles).toEqual([]);
        expect([...claimedBy.keys()].sort()).toEqual(Array.from({ length: 60 }, (_, index) => `T${index + 1}`).sort());

        const state = await open(store).read();
        for (const task of state.tasks) {
          expect(task).toMatchObject({ status: 'in_progress', fence: 1, assignee: claimedBy.get(task.id)?.[0] });
        }
        for (const agentId of DEVELOPERS) {
          expect([...(state.agents[agentId]?.activeTasks ?? [])].sort()).toEqual(
            [...(results[DEVELOPERS.indexOf(agentId)]?.claimed ?? [])].sort(),
          );
        }
        const claims = (await store.ledger()).filter((entry) => entry.type === 'task-claim');
        expect(claims.map((entry) => (entry.type === 'task-claim' ? `${entry.taskId}:${entry.agentId}` : '')).sort()).toEqual(
          [...claimedBy].map(([taskId, agents]) => `${taskId}:${agents[0]}`).sort(),
        );
      },
      PROCESS_TEST_TIMEOUT_MS,
    );

    it(
      'never lets 6 processes reserving and settling through BudgetGuard spend past a hard token limit',
      async () => {
        const limitTokens = 6000;
        const worstTokens = 200;
        const store = await create(runningState({ config: project.config, tasks: 0, limitTokens }));
        const workers = DEVELOPERS.map((agentId) => worker(store, { mode: 'budget', agentId, worstTokens }));
        const results = await resultsOf<{ calls: number; tokens: number }>(workers);

        const settled = results.reduce((sum, result) => sum + result.tokens, 0);
        const state = await open(store).read();
        // What the processes settled is what the book holds: no settle was lost, none counted twice.
        expect(state.budget.spentTokens).toBe(settled);
        expect(state.budget.spentTokens).toBeLessThanOrEqual(limitTokens);
        // They stopped because no call fitted any more, not before.
        expect(limitTokens - state.budget.spentTokens).toBeLessThan(worstTokens);
        expect(state.budget).toMatchObject({ reservedTokens: 0, reservations: {} });
        expect(state.run.status).toBe('budget_exceeded');
        const calls = DEVELOPERS.map((agentId) => state.agents[agentId]?.calls ?? 0);
        expect(calls).toEqual(results.map((result) => result.calls));
        expect((await store.ledger()).some((entry) => entry.type === 'budget-block')).toBe(true);
      },
      PROCESS_TEST_TIMEOUT_MS,
    );

    it(
      'keeps every update of 6 processes × 60, each with its ledger event under a gap-free increasing seq',
      async () => {
        const store = await create(runningState({ config: project.config, tasks: 0 }));
        const baseSeq = (await open(store).read()).seq;
        const perProcess = 60;
        await resultsOf(DEVELOPERS.map((agentId) => worker(store, { mode: 'increment', agentId, count: perProcess })));

        const state = await open(store).read();
        expect(DEVELOPERS.map((agentId) => state.agents[agentId]?.calls)).toEqual(DEVELOPERS.map(() => perProcess));
        const total = PROCESSES * perProcess;
        expect(state.seq).toBe(baseSeq + total);
        const ledger = await store.ledger();
        expect(ledger.filter((entry) => entry.type === 'model-call')).toHaveLength(total);
        expect(seqsAfter(ledger, baseSeq)).toEqual(Array.from({ length: total }, (_, index) => baseSeq + index + 1));
        await store.assertReleased();
      },
      PROCESS_TEST_TIMEOUT_MS,
    );

    it(
      'keeps the state valid when a process is SIGKILLed inside an update, and lets the others go on',
      async () => {
        const store = await create(runningState({ config: project.config, tasks: 0 }));
        const before = await open(store).read();
        const holder = worker(store, { mode: 'hang', agentId: 'dev-1' });
        await holder.line((line) => line === 'inside');
        holder.child.kill('SIGKILL');
        expect(await holder.exited).toBe('SIGKILL');
        expect(await open(store).read()).toEqual(before);

        const others = DEVELOPERS.slice(1, 4);
        await resultsOf(others.map((agentId) => worker(store, { mode: 'increment', agentId, count: 50 })));
        const after = await open(store).read();
        expect(after.seq).toBe(before.seq + others.length * 50);
        expect(others.map((agentId) => after.agents[agentId]?.calls)).toEqual(others.map(() => 50));
        expect(after.agents['dev-1']?.calls).toBe(0);
        expect(seqsAfter(await store.ledger(), before.seq)).toHaveLength(others.length * 50);
        await store.assertReleased();
      },
      PROCESS_TEST_TIMEOUT_MS,
    );

    for (const kind of ['syntax', 'schema'] as const) {
      it(
        `reports a state broken in its ${kind} as StateCorruptedError naming where, in this process and another, and writes nothing`,
        async () => {
          const store = await create(runningState({ config: project.config, tasks: 2 }));
          const names = await store.corrupt(kind);
          const stored = await store.raw();
          const handle = open(store);

          const reading = handle.read();
          await expect(reading).rejects.toBeInstanceOf(StateCorruptedError);
          for (const named of names) await expect(handle.read()).rejects.toThrow(named);
          let called = false;
          await expect(
            handle.update(() => {
              called = true;
            }),
          ).rejects.toMatchObject({ code: 'state_corrupted' });
          expect(called).toBe(false);

          const other = worker(store, { mode: 'increment', agentId: 'dev-1', count: 1 });
          expect(await other.exited).not.toBe(0);
          expect(other.stderr()).toContain(names[0]);
          expect(await store.raw()).toBe(stored);
        },
        PROCESS_TEST_TIMEOUT_MS,
      );
    }

    it('reports a missing state as StateMissingError naming where, and creates nothing', async () => {
      const store = await create(undefined);
      const handle = open(store);
      expect(await handle.exists()).toBe(false);
      await expect(handle.read()).rejects.toBeInstanceOf(StateMissingError);
      await expect(handle.read()).rejects.toThrow(store.where);
      await expect(handle.update(() => undefined)).rejects.toMatchObject({ code: 'state_missing' });
      expect(await handle.exists()).toBe(false);
    });

    it(
      "wakes a watcher in this process after another process's update",
      async () => {
        const store = await create(runningState({ config: project.config, tasks: 0 }));
        const watcher = open(store);
        const baseSeq = (await watcher.read()).seq;
        let stop = (): void => undefined;
        const woken = new Promise<number>((resolve) => {
          stop = watcher.watch(() => {
            void watcher.read().then((state) => {
              if (state.seq > baseSeq) resolve(state.seq);
            });
          });
        });
        try {
          await resultsOf([worker(store, { mode: 'increment', agentId: 'dev-2', count: 1 })]);
          expect(await hangGuard(woken, WAKE_HANG_GUARD_MS, "watch() firing after another process's update")).toBe(baseSeq + 1);
        } finally {
          stop();
        }
      },
      PROCESS_TEST_TIMEOUT_MS,
    );

    it(
      'leaves a state that another process resumes from when one is killed between updates',
      async () => {
        const store = await create(runningState({ config: project.config, tasks: 8 }));
        const first = worker(store, { mode: 'claim', agentId: 'dev-1', limit: 3 });
        const { claimed: interrupted } = JSON.parse(await first.line((line) => line.startsWith('{'))) as { claimed: string[] };
        expect(interrupted).toHaveLength(3);
        first.child.kill('SIGKILL');
        expect(await first.exited).toBe('SIGKILL');
        // What the killed process committed is there, whole: its claims, and nothing else.
        const left = await open(store).read();
        for (const task of left.tasks) {
          const mine = interrupted.includes(task.id);
          expect(task).toMatchObject(
            mine ? { status: 'in_progress', assignee: 'dev-1', fence: 1 } : { status: 'ready', assignee: null, fence: 0 },
          );
        }

        // dev-1 started again in a new process: `run --resume`'s step, then its claims, its own tasks first.
        const [resumed] = await resultsOf<{ claimed: string[] }>([worker(store, { mode: 'claim', agentId: 'dev-1', resume: true })]);
        expect(resumed?.claimed.slice(0, 3).sort()).toEqual([...interrupted].sort());
        expect([...(resumed?.claimed ?? [])].sort()).toEqual(left.tasks.map((task) => task.id).sort());
        const state = await open(store).read();
        for (const task of state.tasks) {
          // A claim from before the interruption carries an older fence: its late report would be refused.
          expect(task).toMatchObject({ status: 'in_progress', assignee: 'dev-1', fence: interrupted.includes(task.id) ? 2 : 1 });
        }
        expect(state.run.resumes).toBe(1);
        const ledger = await store.ledger();
        const released = ledger.flatMap((entry) => (entry.type === 'task-release' && entry.reason === 'resume' ? [entry.taskId] : []));
        expect(released.sort()).toEqual([...interrupted].sort());
        const seqs = ledger.map((entry) => entry.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        await store.assertReleased();
      },
      PROCESS_TEST_TIMEOUT_MS,
    );

    it('close() lets the updates already asked for commit, then refuses every call', async () => {
      const store = await create(runningState({ config: project.config, tasks: 0 }));
      const handle = store.open();
      const baseSeq = (await handle.read()).seq;
      let woken = 0;
      handle.watch(() => {
        woken += 1;
      });
      const updates = Array.from({ length: 5 }, () =>
        handle.update((state) => {
          const agent = state.agents['dev-1'];
          if (agent !== undefined) agent.calls += 1;
        }),
      );
      await handle.close();
      await Promise.all(updates);
      await handle.close();
      const wokenAtClose = woken;

      await expect(handle.update(() => undefined)).rejects.toMatchObject({ code: 'state_store_closed' });
      await expect(handle.read()).rejects.toMatchObject({ code: 'state_store_closed' });
      expect(() => handle.watch(() => undefined)).toThrow(/after close/);
      const state = await open(store).read();
      expect(state.seq).toBe(baseSeq + 5);
      expect(state.agents['dev-1']?.calls).toBe(5);
      // Another handle's update wakes its own watch, not the closed one's.
      const other = open(store);
      const seen = new Promise<void>((resolve) => other.watch(resolve));
      await other.update(() => undefined);
      await hangGuard(seen, WAKE_HANG_GUARD_MS, "the open handle's watch() firing");
      // Wake-ups of one change are delivered in one macrotask; let that one pass before looking.
      await new Promise((resolve) => setImmediate(resolve));
      expect(woken).toBe(wokenAtClose);
      await store.assertReleased();
    });
  });
}
