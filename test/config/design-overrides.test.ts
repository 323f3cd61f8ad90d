/**
 * A design laid over the config: `--roster` and `--tiers` files, orchestrator keys from an
 * experiment, and errors naming the file, the field and how to fix it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadTeamConfig, readDesignFile } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject('agent-team-design-');
});
afterEach(async () => {
  await project.cleanup();
});

const ROSTER = [
  { id: 'manager', role: 'team_manager', max_concurrent_tasks: 4 },
  { id: 'backend-dev', role: 'backend_developer' },
];

function configError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('design overrides', () => {
  it('replaces the roster from a JSON list and the tiers from a YAML map', async () => {
    const roster = await project.write('roster.json', JSON.stringify(ROSTER));
    const tiers = await project.write('tiers.yml', 'simple: claude-haiku-4-5\ncomplex: claude-sonnet-5\n');
    const config = loadTeamConfig({
      cwd: project.dir,
      overrides: { roster: readDesignFile(roster, 'roster'), tiers: readDesignFile(tiers, 'tiers') },
    });
    expect(config.roster.map((member) => member.id)).toEqual(['manager', 'backend-dev']);
    expect(config.roster[0]?.maxConcurrentTasks).toBe(4);
    expect(config.agentsConfig.tiers).toEqual({ simple: 'claude-haiku-4-5', medium: 'claude-sonnet-5', complex: 'claude-sonnet-5' });
  });

  it('accepts an orchestrator config as a roster file and an agents config as a tier file', async () => {
    const roster = await project.write('team.json', JSON.stringify({ agents: ROSTER, budget: { max_usd: 1 } }));
    const tiers = await project.write('agents.yml', 'tiers:\n  medium: claude-haiku-4-5\nagents: {}\n');
    const config = loadTeamConfig({
      cwd: project.dir,
      overrides: { roster: readDesignFile(roster, 'roster'), tiers: readDesignFile(tiers, 'tiers') },
    });
    expect(config.roster).toHaveLength(2);
    expect(config.agentsConfig.tiers.medium).toBe('claude-haiku-4-5');
  });

  it('merges orchestrator keys over the config and validates them again', () => {
    const config = loadTeamConfig({
      cwd: project.dir,
      overrides: {
        orchestrator: { value: { coordination: { max_attempts: 3 }, provider: { blocker_rate: 0 } }, where: 'exp.yml designs.0' },
      },
    });
    expect(config.orchestrator.coordination.max_attempts).toBe(3);
    expect(config.orchestrator.coordination.max_iterations).toBe(50);
    expect(config.orchestrator.provider.blocker_rate).toBe(0);
    const error = configError(() =>
      loadTeamConfig({
        cwd: project.dir,
        overrides: { orchestrator: { value: { coordination: { max_attempts: 0 } }, where: 'exp.yml designs.0' } },
      }),
    );
    expect(error.file).toBe('exp.yml designs.0');
    expect(error.issues[0]?.path).toBe('coordination.max_attempts');
  });

  it('names the roster file, the field and the fix for a bad roster', async () => {
    const short = await project.write('short.json', JSON.stringify([ROSTER[0]]));
    const tooShort = configError(() => loadTeamConfig({ cwd: project.dir, overrides: { roster: readDesignFile(short, 'roster') } }));
    expect(tooShort.message).toContain(short);
    expect(tooShort.message).toContain('a roster needs a manager and at least one role agent');
    expect(tooShort.message).toContain('as under "agents" in orchestrator-config.json');

    const unknownRole = await project.write('role.json', JSON.stringify([ROSTER[0], { id: 'x', role: 'astronaut' }]));
    const badRole = configError(() => loadTeamConfig({ cwd: project.dir, overrides: { roster: readDesignFile(unknownRole, 'roster') } }));
    expect(badRole.file).toContain(unknownRole);
    expect(badRole.issues).toEqual([
      expect.objectContaining({ path: 'agents.1.role', message: expect.stringContaining('unknown role "astronaut"') }),
    ]);

    const noManager = await project.write('boss.json', JSON.stringify([{ id: 'boss', role: 'team_manager' }, ROSTER[1]]));
    const missing = configError(() => loadTeamConfig({ cwd: project.dir, overrides: { roster: readDesignFile(noManager, 'roster') } }));
    expect(missing.issues[0]?.path).toBe('coordination.manager');
  });

  it('names the tier file and the field for a bad tier map', async () => {
    const tiers = await project.write('tiers.json', JSON.stringify({ simple: 'claude-haiku-4-5', huge: 'x' }));
    const error = configError(() => loadTeamConfig({ cwd: project.dir, overrides: { tiers: readDesignFile(tiers, 'tiers') } }));
    expect(error.file).toBe(tiers);
    expect(error.message).toContain('huge');
    expect(error.message).toContain('A tier map is a JSON/YAML map');
    const broken = await project.write('broken.yml', 'simple: [\n');
    expect(configError(() => readDesignFile(broken, 'tiers')).message).toMatch(/broken\.yml.*line/s);
  });
});
