/**
 * One OS process of the StateStore conformance suite, run with `node --import tsx`
 * so that it uses the product's sources as they are. It opens the store under test
 * through the opener module the suite names (a file path for the file store, a
 * connection URL for a database store) and does one job with the product's own
 * functions, printing one JSON line when done:
 *   claim     claims with claimTask until nothing is left (optionally after the
 *             resume step of `run --resume`, or stopping after `limit` claims and
 *             waiting to be killed)          → {"claimed": [task ids]}
 *   budget    reserves and settles calls through BudgetGuard until the budget
 *             refuses                        → {"calls": n, "tokens": settled}
 *   increment records `count` calls of its agent, one update and one event each → {"done": count}
 *   hang      enters an update and never leaves it (prints "inside" first)
 */
import { writeSync } from 'node:fs';
import { BudgetExceededError } from '../../../src/errors/index.js';
import { loadTeamConfig } from '../../../src/config/index.js';
import { BudgetGuard } from '../../../src/cost/index.js';
import { emptyUsage } from '../../../src/providers/index.js';
import type { LedgerEvent, StateStore, TeamState } from '../../../src/state/index.js';
import { teamBudgetStore } from '../../../src/team/agents/team-budget.js';
import { openTeamContext } from '../../../src/team/run/open-team.js';
import { prepareResume } from '../../../src/team/run/run-state.js';
import { claimTask } from '../../../src/team/tasks/claim-task.js';
import { testRunOptions } from '../../support/running-state.js';
import { openStore as openFileStore } from './file-store-opener.js';
import { openStore as openPostgresStore } from './postgres-store-opener.js';
import type { WorkerJob } from './worker-job.js';

type TeamStore = StateStore<TeamState, LedgerEvent>;

const job = JSON.parse(process.argv[2] ?? '{}') as WorkerJob;
const openers: Record<WorkerJob['opener'], (location: never) => TeamStore> = { file: openFileStore, postgres: openPostgresStore };
const store = openers[job.opener](job.location as never);
const config = loadTeamConfig({ cwd: job.projectDir });

function print(value: unknown): void {
  writeSync(1, `${JSON.stringify(value)}\n`);
}

async function claim(): Promise<void> {
  if (job.resume === true) {
    await store.update((state, context) => prepareResume({ state, budgetUsd: null, now: context.now, emit: context.emit }));
  }
  const claimed: string[] = [];
  while (job.limit === undefined || claimed.length < job.limit) {
    const taken = await store.update((state, context) =>
      claimTask({ state, agentId: job.agentId, config, now: context.now, emit: context.emit }),
    );
    if (taken === undefined) break;
    claimed.push(taken.task.id);
  }
  print({ claimed });
  // Interrupted between updates: the test kills this process while it holds nothing.
  if (job.limit !== undefined) setInterval(() => undefined, 1 << 30);
}

async function budget(): Promise<void> {
  const options = testRunOptions({ config, runId: 'conformance' });
  const context = openTeamContext({ config, store, options });
  const guard = new BudgetGuard({ agentId: job.agentId, store: teamBudgetStore({ context, agentId: job.agentId }), changes: context.wake });
  const worst = { tokens: job.worstTokens ?? 200, usd: 0 };
  let calls = 0;
  let tokens = 0;
  for (;;) {
    const reservationId = `${job.agentId}-${calls}`;
    // A reserve that waits long says on stderr what it waits for, which the test reports if the wait never ends.
    const stuck = setInterval(() => {
      void store.read().then((state) => {
        writeSync(2, `still reserving ${reservationId}: ${JSON.stringify({ seq: state.seq, budget: state.budget })}\n`);
      });
    }, 20_000);
    try {
      await guard.reserve({ reservationId, worst });
    } catch (error) {
      if (error instanceof BudgetExceededError) break;
      throw error;
    } finally {
      clearInterval(stuck);
    }
    // The real spend of a call is below its worst case, by a varying amount.
    const spent = worst.tokens - ((calls * 37 + job.agentId.length * 11) % Math.ceil(worst.tokens / 2));
    await store.update((state) => {
      guard.settle(state.budget, { reservationId, usd: 0, tokens: spent });
      const agent = state.agents[job.agentId];
      if (agent !== undefined) {
        agent.calls += 1;
        agent.usage.outputTokens += spent;
      }
    });
    context.wake.notify();
    calls += 1;
    tokens += spent;
  }
  context.wake.close();
  print({ calls, tokens });
}

async function increment(): Promise<void> {
  const count = job.count ?? 1;
  for (let index = 0; index < count; index += 1) {
    await store.update((state, context) => {
      const agent = state.agents[job.agentId];
      if (agent === undefined) throw new Error(`agent ${job.agentId} is not in the state`);
      agent.calls += 1;
      context.emit({
        type: 'model-call',
        agentId: job.agentId,
        taskId: null,
        purpose: 'conformance',
        provider: 'sim',
        model: 'sim',
        usage: emptyUsage(),
        costUsd: 0,
        latencyMs: 0,
        simulated: true,
        repair: false,
      });
    });
  }
  print({ done: count });
}

async function hang(): Promise<void> {
  await store.update(() => {
    writeSync(1, 'inside\n');
    // Blocks this thread inside the update for good, holding whatever the store holds there, until killed.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
}

const jobs = { claim, budget, increment, hang } as const;
await jobs[job.mode]();
await store.close();
