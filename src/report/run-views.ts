/**
 * What a run's record and a live view of it compute alike: the summary priced with the config's price
 * table (its top-tier counterfactual), the model-time schedule, and its pictures.
 */
import type { TeamConfig } from '../config/index.js';
import { costOf, priceOf, priceTable } from '../cost/index.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';
import { type ModelSchedule, replayModelSchedule } from './model-schedule.js';
import { describeDesign } from './run-design.js';
import { summarizeRun, type RunSummary } from './summary.js';

/** The run's summary; its top-tier figure prices every call on its role's complex-tier model. */
export function pricedSummary(input: { config: TeamConfig; state: TeamState; ledger: readonly LedgerEntry<LedgerEvent>[] }): RunSummary {
  const { config } = input;
  const prices = priceTable(config.orchestrator.prices);
  return summarizeRun(
    input.state,
    input.ledger,
    (call) => {
      const member = config.roster.find((candidate) => candidate.id === call.agentId);
      const tiers = member?.roleConfig.tiers ?? config.agentsConfig.tiers;
      try {
        return costOf(call.usage, priceOf(tiers.complex, prices));
      } catch {
        return call.costUsd; // an unpriced top tier: count the call as it was
      }
    },
    describeDesign(config, input.state.run.options),
  );
}

/** The run replayed on the model-time clock, with the dependencies and capacities of `state`. */
export function runSchedule(state: TeamState, ledger: readonly LedgerEntry<LedgerEvent>[]): ModelSchedule {
  return replayModelSchedule({
    ledger,
    dependencies: new Map(state.tasks.map((task) => [task.id, task.dependsOn])),
    capacities: new Map(Object.values(state.agents).map((agent) => [agent.id, agent.maxConcurrentTasks])),
  });
}
