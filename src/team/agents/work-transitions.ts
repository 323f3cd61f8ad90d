/**
 * An agent deciding what to do next, claiming a task and reporting one done, through the store's own transitions
 * when it has them (a database store: one statement each, on the newest rows, no copy of the run to read or catch
 * up) and they decide; otherwise, or when they answer 'undecided', on a read of the state and through `update()`
 * with nextWork, claimTask and applyAgentReport, as on the file store. Both ways make the same change (the
 * transitions are tested against these functions).
 */
import type { TeamConfig } from '../../config/index.js';
import type { LedgerEvent, StateStore, TaskGrant, TeamState, TransitionAgent } from '../../state/index.js';
import type { WorkReport } from '../tasks/answer-schemas.js';
import { type ClaimedTask, claimTask, claimedTaskFrom, claimedTaskFromGrant, modelsBySize } from '../tasks/claim-task.js';
import { claimIsCurrent, doneDetail, doneResult } from '../tasks/report-result.js';
import { normalizeOutput } from '../tasks/work-context.js';
import { applyAgentReport } from './apply-report.js';
import { decideNext, type NextStep, nextWork, startKey } from './next-work.js';
import type { SettleCall } from './call-settlement.js';

type TeamStore = StateStore<TeamState, LedgerEvent>;

// The roster as the transitions hand out work (the manager left out), made once per config.
const rosters = new WeakMap<TeamConfig, readonly TransitionAgent[]>();

/** The agents the transitions may hand ready tasks to, in roster order, with their models. */
export function transitionRoster(config: TeamConfig): readonly TransitionAgent[] {
  let roster = rosters.get(config);
  if (roster === undefined) {
    roster = config.roster
      .filter((member) => !member.isManager)
      .map((member) => ({ id: member.id, models: modelsBySize(config, member.id) }));
    rosters.set(config, roster);
  }
  return roster;
}

/** What an agent's next step is judged on besides the run: what it started, how far it went, what it runs (see nextWork). */
interface NextStepInput {
  store: TeamStore;
  config: TeamConfig;
  agentId: string;
  started: ReadonlySet<string>;
  iterations: number;
  maxIterations: number;
  busy: number;
}

/**
 * nextWork and the claim it leads to, through the store's transitions: a look at the run (no copy of it read) and,
 * when the agent is free, a claim. Undefined when the store has none, or the claim is one only update() can decide
 * (then the agent reads the state and decides with nextWork, whose claim check keeps it from committing for nothing).
 */
async function nextStepOf(input: NextStepInput): Promise<NextStep<ClaimedTask> | undefined> {
  const { store, config, agentId } = input;
  const member = transitionRoster(config).find((candidate) => candidate.id === agentId);
  if (store.transitions === undefined || member === undefined) return undefined;
  const transitions = store.transitions;
  const look = await transitions.look({ agentId });
  const step = decideNext({
    ...input,
    runStatus: look.runStatus,
    agentStatus: look.agentStatus,
    held: () => look.held,
    keyOf: (grant) => startKey(grant.task),
    // With room, a claim is worth a try: one that finds nothing writes nothing here.
    claimable: () => look.room,
  });
  if (step.kind === 'start') return { kind: 'start', tasks: step.tasks.map((grant) => claimedTaskFromGrant({ config, agentId, grant })) };
  if (step.kind !== 'claim') return step;
  const outcome = await transitions.claim({ agentId, models: member.models });
  if (outcome.kind === 'claimed') return { kind: 'start', tasks: [claimedTaskFromGrant({ config, agentId, grant: outcome.grant })] };
  // 'unknown': the claim went through, its answer was lost; the next look finds the task among those the agent holds.
  if (outcome.kind === 'none' || outcome.kind === 'unknown') return { kind: 'wait' };
  return undefined;
}

/**
 * What the agent does next, with the claim it leads to made: through the store's transitions when they decide
 * (nextStepOf), else judged by nextWork on a read of the state, its claim made with claimTask in an update().
 */
export async function nextStep(
  input: NextStepInput & {
    /** Hears of a claim made in an update(). */
    onClaimInUpdate?: () => void;
  },
): Promise<NextStep<ClaimedTask>> {
  const { store, config, agentId } = input;
  const step = await nextStepOf(input);
  if (step !== undefined) return step;
  const state = await store.read();
  const next = nextWork({ ...input, state });
  if (next.kind === 'start') return { kind: 'start', tasks: next.tasks.map((task) => claimedTaskFrom({ state, config, agentId, task })) };
  if (next.kind !== 'claim') return next;
  const claimed = await claimInUpdate(input);
  if (claimed === undefined) return { kind: 'wait' };
  input.onClaimInUpdate?.();
  return { kind: 'start', tasks: [claimed] };
}

/** claimTask in an update(), whatever transitions the store has. */
function claimInUpdate(input: { store: TeamStore; config: TeamConfig; agentId: string }): Promise<ClaimedTask | undefined> {
  const { config, agentId } = input;
  return input.store.update((draft, context) => claimTask({ state: draft, agentId, config, now: context.now, emit: context.emit }));
}

/**
 * Applies an agent's report on a task it holds (outside a workspace) in one commit with `settle`: claimIsCurrent,
 * then applyAgentReport. Returns the tasks that commit handed to the agent when the transitions made it, else
 * undefined (the agent finds them in the state).
 */
export async function reportWork(input: {
  store: TeamStore;
  config: TeamConfig;
  agentId: string;
  task: { id: string; fence: number };
  report: WorkReport;
  /** The model call's settlement, made first in the report's commit. */
  settle?: SettleCall | undefined;
}): Promise<readonly TaskGrant[] | undefined> {
  const { store, config, agentId, task, report, settle } = input;
  const normalized = normalizeOutput(report);
  if (store.transitions !== undefined && report.status === 'done' && (settle === undefined || settle.spend !== undefined)) {
    const outcome = await store.transitions.reportDone({
      agentId,
      taskId: task.id,
      fence: task.fence,
      result: doneResult(report),
      normalized,
      detail: doneDetail(report),
      spend: settle?.spend,
      roster: transitionRoster(config),
    });
    if (outcome.kind === 'done') return outcome.grants;
    if (outcome.kind === 'rejected' || outcome.kind === 'unknown') return undefined;
  }
  await store.update((draft, context) => {
    settle?.(draft, context);
    if (!claimIsCurrent({ state: draft, agentId, taskId: task.id, fence: task.fence, emit: context.emit })) return;
    applyAgentReport({ state: draft, context, config, agentId, taskId: task.id, report, normalized });
  });
  return undefined;
}
