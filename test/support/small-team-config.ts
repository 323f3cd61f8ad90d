/**
 * The text of an orchestrator-config.json for a small sim team (time scale 0, no blockers): a manager, a backend and
 * a frontend developer, and `others`; with `maxIterations`, each agent makes at most that many work calls.
 */
export function smallTeamConfig(input: { maxIterations?: number; others?: readonly { id: string; role: string }[] } = {}): string {
  return JSON.stringify({
    agents: [
      { id: 'manager', role: 'team_manager' },
      { id: 'backend-1', role: 'backend_developer' },
      { id: 'frontend-1', role: 'frontend_developer' },
      ...(input.others ?? []),
    ],
    provider: { time_scale: 0, blocker_rate: 0 },
    ...(input.maxIterations === undefined ? {} : { coordination: { max_iterations: input.maxIterations } }),
  });
}
