/**
 * Claiming a task and reporting one done, through the store's own transitions when it has them (a database
 * store: one statement each, on the newest rows, no copy of the run to catch up) and they decide; otherwise, or
 * when they answer 'undecided', through `update()` with claimTask and applyAgentReport, as on the file store.
 * Both ways make the same change (the transitions are tested against these functions).
 */
import type { TeamConfig } from '../../config/index.js';
import type { LedgerEvent, StateStore, TaskGrant, TeamState, TransitionAgent } from '../../state/index.js';
import type { WorkReport } from '../tasks/answer-schemas.js';
import { type ClaimedTask, claimTask, claimedTaskFromGrant, modelsBySize } from '../tasks/claim-task.js';
import { claimIsCurrent, doneDetail, doneResult } from '../tasks/report-result.js';
import { normalizeOutput } from '../tasks/work-context.js';
import { applyAgentReport } from './apply-report.js';
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

/** The agent's next ready task, claimed (claimTask); undefined when there is none, or when it is already the agent's in the state. */
export async function claimWork(input: { store: TeamStore; config: TeamConfig; agentId: string }): Promise<ClaimedTask | undefined> {
  const { store, config, agentId } = input;
  const roster = transitionRoster(config);
  const member = roster.find((candidate) => candidate.id === agentId);
  if (store.transitions !== undefined && member !== undefined) {
    const outcome = await store.transitions.claim({ agentId, models: member.models });
    if (outcome.kind === 'claimed') return claimedTaskFromGrant({ config, agentId, grant: outcome.grant });
    // 'unknown': the claim went through, its answer was lost; the agent finds the task as one handed to it.
    if (outcome.kind === 'none' || outcome.kind === 'unknown') return undefined;
  }
  return store.update((draft, context) => claimTask({ state: draft, agentId, config, now: context.now, emit: context.emit }));
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
