/** The team the run benchmarks share: a manager and two agents of each of four roles, sim at time scale 0. */
import type { TempProject } from '../support/temp-project.js';

const ROLES = ['backend_developer', 'frontend_developer', 'qa_tester', 'reviewer'];

/** Writes the benchmark team's orchestrator config into `project` (with `extra` keys merged in) and returns its path. */
export function writeBenchTeam(project: TempProject, input: { maxUsd: number; extra?: Record<string, unknown> }): Promise<string> {
  return project.write(
    'orchestrator-config.json',
    JSON.stringify({
      agents: [
        { id: 'manager', role: 'team_manager', max_concurrent_tasks: 10 },
        ...ROLES.flatMap((role) => [1, 2].map((n) => ({ id: `${role.split('_')[0]}-${n}`, role }))),
      ],
      budget: { max_usd: input.maxUsd },
      provider: { time_scale: 0 },
      ...input.extra,
    }),
  );
}
