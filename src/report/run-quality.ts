import { simulateQuality, type QualityOutcome } from '../providers/index.js';
import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';

/** `summary.json`'s `quality`: the sim's defects introduced, caught and escaped (see README "Quality model"); null for real runs. */
export type RunQuality = QualityOutcome;

/** The quality of a simulated run from its plan and ledger; null when a real model did the work (no defects are known). */
export function runQuality(state: TeamState, ledger: readonly LedgerEntry<LedgerEvent>[]): RunQuality | null {
  if (!state.run.simulated) return null;
  const workModel = new Map<string, string>();
  const gateRounds = new Map<string, Set<string>>();
  for (const entry of ledger) {
    if (entry.type === 'model-call' && entry.purpose === 'work' && entry.taskId !== null) workModel.set(entry.taskId, entry.model);
    if (entry.type === 'gate-verdict') {
      const rounds = gateRounds.get(entry.taskId) ?? new Set<string>();
      rounds.add(`${entry.gate}#${entry.round}`);
      gateRounds.set(entry.taskId, rounds);
    }
  }
  return simulateQuality({
    seed: state.run.options.seed,
    tasks: state.tasks.map((task) => ({
      id: task.id,
      role: task.role,
      complexity: task.complexity,
      status: task.status,
      dependsOn: task.dependsOn,
      model: workModel.get(task.id) ?? null,
    })),
    gateRounds: new Map([...gateRounds].map(([taskId, rounds]) => [taskId, rounds.size])),
  });
}
