/**
 * An OS process of the StateStore conformance suite, started from an esbuild bundle of this
 * file (see test/support/bundled-script.ts) so that it runs the product's sources as they are.
 * It runs jobs one after another, each read as a JSON line from stdin (or the one job given as
 * its argument, and then it exits): it opens the store under test through the opener module
 * the job names (a file path for the file store, a connection URL for a database store), does
 * the job with the product's own functions, prints one JSON line, closes the store and prints
 * JOB_END. A process is started once and serves many jobs: starting one costs far more CPU
 * than most jobs. A job that fails ends the process, with the error on stderr.
 *   claim     claims with claimTask until nothing is left (optionally after the
 *             resume step of `run --resume`, or stopping after `limit` claims and
 *             waiting to be killed)          → {"claimed": [task ids]}
 *   budget    reserves and settles calls through BudgetGuard until the budget
 *             refuses                        → {"calls": n, "tokens": settled}
 *   increment records `count` calls of its agent, one update and one event each → {"done": count}
 *   hang      enters an update and never leaves it (prints "inside" first)
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
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
import { JOB_END, type WorkerJob } from './worker-job.js';

type TeamStore = StateStore<TeamState, LedgerEvent>;
/** A job, the store it works on and the config of its project. */
interface JobInput {
  job: WorkerJob;
  store: TeamStore;
  config: ReturnType<typeof loadTeamConfig>;
}

const openers: Record<WorkerJob['opener'], (location: never) => TeamStore> = { file: openFileStore, postgres: openPostgresStore };

function print(value: unknown): void {
  writeSync(1, `${JSON.stringify(value)}\n`);
}

async function claim({ job, store, config }: JobInput): Promise<void> {
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
  // Interrupted between updates: the test kills this process while it holds nothing. The job never ends.
  if (job.limit !== undefined) {
    await store.close();
    await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
  }
}

async function budget({ job, store, config }: JobInput): Promise<void> {
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

async function increment({ job, store }: JobInput): Promise<void> {
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

async function hang({ store }: JobInput): Promise<void> {
  await store.update(() => {
    writeSync(1, 'inside\n');
    // Blocks this thread inside the update for good, holding whatever the store holds there, until killed.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
}

const jobs = { claim, budget, increment, hang } as const;

async function runJob(job: WorkerJob): Promise<void> {
  const store = openers[job.opener](job.location as never);
  await jobs[job.mode]({ job, store, config: loadTeamConfig({ cwd: job.projectDir }) });
  await store.close();
}

const given = process.argv[2];
if (given !== undefined) await runJob(JSON.parse(given) as WorkerJob);
else {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
    await runJob(JSON.parse(line) as WorkerJob);
    writeSync(1, `${JOB_END}\n`);
  }
}
