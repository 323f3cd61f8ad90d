import { loadTeamConfig, type TeamConfig } from '../../src/config/index.js';
import type { TempRepository } from './sample-repo.js';
import { tempProject, type TempProject } from './temp-project.js';
import { DEFAULT_ROSTER } from './team-fixture.js';

/** What a test changes in the workspace config: the roster, and keys merged into each section. */
export interface WorkspaceConfigOverrides {
  agents?: readonly object[];
  coordination?: object;
  provider?: object;
  workspace?: object;
}

/**
 * `orchestrator-config.json` for runs that change `repo`, written in a temp dir outside
 * it (so the checkout stays clean): the default roster, auto merge, `node --test` after
 * each merge, and no sim gate flaws unless overridden.
 */
export async function writeWorkspaceConfig(
  repo: TempRepository,
  overrides: WorkspaceConfigOverrides = {},
): Promise<{ settings: TempProject; file: string; config: TeamConfig }> {
  const settings = await tempProject();
  const file = await settings.write(
    'orchestrator-config.json',
    JSON.stringify({
      project_dir: repo.dir,
      agents: overrides.agents ?? DEFAULT_ROSTER,
      coordination: { auto_merge: true, ...overrides.coordination },
      provider: { gate_failure_rate: 0, ...overrides.provider },
      workspace: { test_command: ['node', '--test'], ...overrides.workspace },
    }),
  );
  return { settings, file, config: loadTeamConfig({ configPath: file, cwd: settings.dir }) };
}
