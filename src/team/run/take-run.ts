import { access } from 'node:fs/promises';
import type { StoreLocation, TeamConfig } from '../../config/index.js';
import { AgentTeamError, UsageError } from '../../errors/index.js';
import { createRunDirectory, runFiles, writeRunRecord } from '../../report/index.js';
import { type LedgerEvent, RESUMABLE_RUN_STATUSES, TERMINAL_RUN_STATUSES, type RunOwner, type TeamState } from '../../state/index.js';
import { fenceStore } from '../agents/fenced-store.js';
import type { TeamStore } from '../agents/team-context.js';
import { describeTeamStore, openTeamStore } from './open-team.js';
import { describeOwner, liveOtherOwner, ownerLiveness, RunOwnedError } from './run-owner.js';
import { prepareResume } from './run-state.js';
import { resumeCommand } from './resume-command.js';
import { readRunLedger, restartRunLedger } from './team-ledger.js';

/** A new run refused because the project's last one is unfinished: resume it, or start over with --force. */
export class RunUnfinishedError extends AgentTeamError {
  constructor(input: {
    runId: string;
    /** The store, as messages name it. */
    where: string;
    status: string;
    /** Why nobody works on it, if nobody does. */
    abandoned: string | null;
    runDir: string;
    /** A run in a database is reached by these commands only with its `--store` (or AGENT_TEAM_STORE). */
    store: 'file' | 'postgres';
  }) {
    super(
      'run_unfinished',
      `Run ${input.runId} in ${input.where} is ${input.status}${input.abandoned === null ? '' : ` (${input.abandoned})`}. ` +
        'Continue it with `agent-team run --resume`, or start over with `--force` (its record stays in ' +
        `${input.runDir}).` +
        (input.store === 'postgres' ? ' Either needs the same `--store` (or AGENT_TEAM_STORE).' : ''),
      { exitCode: 2 },
    );
    this.name = 'RunUnfinishedError';
  }
}

/** Why a run that says it is live has nobody working on it, or null when it has (or has ended). */
export function abandonedBecause(state: TeamState, now: Date): string | null {
  if (TERMINAL_RUN_STATUSES.has(state.run.status)) return null;
  const owner = state.run.owner;
  if (owner === null) return 'no process owns it';
  const liveness = ownerLiveness(owner, now);
  return liveness.live ? null : `its owner ${describeOwner(owner)} is gone: ${liveness.reason}`;
}

/** Marks a run whose owner is gone as interrupted, in the update that takes it over. */
function closeAbandoned(input: {
  state: TeamState;
  reason: string;
  store: StoreLocation['kind'];
  now: string;
  emit: (event: LedgerEvent) => void;
}): void {
  const { state, now, emit } = input;
  state.run.status = 'interrupted';
  state.run.endedAt = now;
  state.run.endReason = `${input.reason}; continue with ${resumeCommand(input.store)}`;
  emit({ type: 'run-end', runId: state.run.id, status: 'interrupted', reason: state.run.endReason });
}

/**
 * Starts a new run as `owner`: in one locked update of the project's state, a
 * live run of another process is refused (RunOwnedError), an unfinished one
 * needs `force`, and the project's state becomes this owner's. Then the earlier
 * run's record is kept (never rewritten once it has ended), the ledger starts
 * over and the fresh state is written through the owner's fence.
 */
export async function startNewRun(input: {
  config: TeamConfig;
  fresh: TeamState;
  owner: RunOwner;
  force: boolean;
  now: Date;
  /** The store's clock (default: the system's). */
  clock?: (() => Date) | undefined;
}): Promise<{ store: TeamStore; state: TeamState }> {
  const { config, fresh, owner } = input;
  const runId = fresh.run.id;
  // The first run of a project creates the state file from `fresh`, under the lock: two starts at once cannot both create it.
  const creating = openTeamStore(config, () => structuredClone(fresh), { now: input.clock });
  const previous = await creating
    .update((state, context) => {
      if (state.run.id === runId) return null;
      const other = liveOtherOwner(state, input.now);
      if (other !== undefined) {
        throw new RunOwnedError({
          runId: state.run.id,
          owner: other,
          stateFile: describeTeamStore(config),
          attempted: input.force ? '`run --force`' : 'Starting another run',
          store: config.store.kind,
        });
      }
      const abandoned = abandonedBecause(state, input.now);
      if (!TERMINAL_RUN_STATUSES.has(state.run.status) || RESUMABLE_RUN_STATUSES.has(state.run.status)) {
        if (!input.force) {
          throw new RunUnfinishedError({
            runId: state.run.id,
            where: describeTeamStore(config),
            status: state.run.status,
            abandoned,
            runDir: state.run.options.runDir,
            store: config.store.kind,
          });
        }
        if (abandoned !== null)
          closeAbandoned({ state, reason: abandoned, store: config.store.kind, now: context.now, emit: context.emit });
      }
      state.run.owner = owner;
      return structuredClone(state);
    })
    .finally(() => creating.close());
  if (previous !== null) await keepRecord(config, previous);
  await createRunDirectory(fresh.run.options.runDir);
  await restartRunLedger(config);
  const store = fenceStore(openTeamStore(config, undefined, { now: input.clock }), owner.lease);
  const state = await store.update((draft, context) => {
    Object.assign(draft, structuredClone(fresh));
    const { options } = fresh.run;
    context.emit({
      type: 'run-start',
      runId,
      feature: fresh.run.feature,
      provider: options.provider,
      seed: options.seed,
      simulated: fresh.run.simulated,
    });
    return structuredClone(draft);
  });
  return { store, state };
}

/** Writes the record of the run a new one replaces, unless that run ended and its record is already there. */
async function keepRecord(config: TeamConfig, previous: TeamState): Promise<void> {
  if (TERMINAL_RUN_STATUSES.has(previous.run.status)) {
    const kept = await access(runFiles(previous.run.options.runDir).summary).then(
      () => true,
      () => false,
    );
    if (kept) return;
  }
  await writeRunRecord({ config, state: previous, ledger: await readRunLedger(config) });
}

/** The checks of `run --resume` that need no lock: a clear answer before anything is prepared. */
export async function readResumable(input: { config: TeamConfig; store: TeamStore; now: Date }): Promise<TeamState> {
  const { config, store } = input;
  if (!(await store.exists())) {
    throw new UsageError(`Nothing to resume: ${describeTeamStore(config)} does not exist. Start a run with agent-team run --feature "…".`);
  }
  const previous = await store.read();
  checkResumable(config, previous, input.now);
  return previous;
}

function checkResumable(config: TeamConfig, state: TeamState, now: Date, lease?: string): void {
  const other = liveOtherOwner(state, now, lease);
  if (other !== undefined)
    throw new RunOwnedError({
      runId: state.run.id,
      owner: other,
      stateFile: describeTeamStore(config),
      attempted: '`run --resume`',
      store: config.store.kind,
    });
  if (state.run.status === 'done' || state.run.status === 'failed') {
    throw new UsageError(`Run ${state.run.id} already ended (${state.run.status}); start a new one with agent-team run --feature "…".`);
  }
}

/**
 * Takes the run over for `run --resume` in one locked update: refused while
 * another owner is live; a run whose owner died (a crash found later) is
 * recorded as taken over; in-flight work goes back to ready (see prepareResume)
 * and every later write is fenced by the new owner's lease.
 */
export async function resumeRun(input: {
  config: TeamConfig;
  owner: RunOwner;
  now: Date;
  budgetUsd: number | null;
  timeScale: number | undefined;
  /** The store's clock (default: the system's). */
  clock?: (() => Date) | undefined;
}): Promise<{ store: TeamStore; state: TeamState }> {
  const { config, owner } = input;
  const raw = openTeamStore(config, undefined, { now: input.clock });
  const state = await raw.update((draft, context) => {
    checkResumable(config, draft, input.now);
    const abandoned = abandonedBecause(draft, input.now);
    const previous = draft.run.owner;
    if (abandoned !== null && previous !== null) {
      context.emit({
        type: 'run-takeover',
        runId: draft.run.id,
        previousOwner: describeOwner(previous),
        reason: abandoned,
        pid: owner.pid,
      });
    }
    prepareResume({ state: draft, budgetUsd: input.budgetUsd, now: context.now, emit: context.emit });
    // Pacing may change on resume; what decides the answers (provider, seed, rates) may not.
    if (input.timeScale !== undefined) draft.run.options.timeScale = input.timeScale;
    draft.run.owner = owner;
    return structuredClone(draft);
  });
  await createRunDirectory(state.run.options.runDir);
  return { store: fenceStore(raw, owner.lease), state };
}
