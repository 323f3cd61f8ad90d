/** An experiment file for tests and the bench: with reviewer, without reviewer, cheap tiers, on the sim at time scale 0. */
import type { TempProject } from './temp-project.js';

const ROSTER = [
  { id: 'manager', role: 'team_manager', max_concurrent_tasks: 10 },
  { id: 'backend-dev', role: 'backend_developer' },
  { id: 'frontend-dev', role: 'frontend_developer' },
  { id: 'qa-tester', role: 'qa_tester' },
  { id: 'reviewer', role: 'reviewer' },
];

/** The three designs of the reviewer/tier question. */
export const REVIEWER_DESIGNS = [
  { name: 'with-reviewer' },
  { name: 'without-reviewer', roster: ROSTER.filter((agent) => agent.id !== 'reviewer') },
  { name: 'cheap-tiers', tiers: { simple: 'claude-haiku-4-5', medium: 'claude-haiku-4-5', complex: 'claude-haiku-4-5' } },
];

/** Writes `experiment.json` into the project and returns its path. */
export function writeExperiment(
  project: TempProject,
  input: { seeds: number; concurrency?: number; perCellUsd?: number; totalUsd?: number; name?: string; designs?: unknown[] },
): Promise<string> {
  return project.write(
    'experiment.json',
    JSON.stringify(
      {
        name: input.name ?? 'reviewer-question',
        feature: 'Add user authentication with email and password',
        designs: input.designs ?? REVIEWER_DESIGNS,
        seeds: { from: 1, count: input.seeds },
        concurrency: input.concurrency ?? 4,
        time_scale: 0,
        budget: { per_cell_usd: input.perCellUsd ?? 1, total_usd: input.totalUsd ?? 100 },
      },
      null,
      2,
    ),
  );
}
