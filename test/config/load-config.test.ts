/**
 * Loading the team configuration: which file is read, the defaults every key gets, paths
 * made absolute, and errors that name the file and the dot path of each problem.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { builtInPaths, loadTeamConfig, parseAgentsConfig, parseOrchestratorConfig } from '../../src/config/index.js';
import { ROOT } from '../support/cli.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const DEFAULT_AGENTS = ['manager', 'backend-dev', 'frontend-dev', 'qa-tester', 'reviewer'];

let project: TempProject;
beforeEach(async () => {
  project = await tempProject('agent-team-config-');
});
afterEach(async () => {
  await project.cleanup();
});

/** The repository's orchestrator-config.json, changed by `edit`. */
async function editedDefault(edit: (config: { agents: Record<string, unknown>[] } & Record<string, unknown>) => void): Promise<string> {
  const config = JSON.parse(await readFile(join(ROOT, 'orchestrator-config.json'), 'utf8')) as {
    agents: Record<string, unknown>[];
  } & Record<string, unknown>;
  edit(config);
  return JSON.stringify(config, null, 2);
}

/** The ConfigError `load` throws. */
function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadTeamConfig', () => {
  it('without orchestrator-config.json uses the built-in team, working on the current directory', () => {
    const config = loadTeamConfig({ cwd: project.dir });
    expect(config.configFile).toBeNull();
    expect(config.projectDir).toBe(project.dir);
    expect(config.stateFile).toBe(project.path('.ai-agents/state/team-communication.json'));
    expect(config.ledgerFile).toBe(project.path('.ai-agents/state/run_ledger.jsonl'));
    expect(config.agentsFile).toBe(builtInPaths().agentsConfig);
    expect(config.promptsDir).toBe(builtInPaths().promptsDir);
    expect(config.roster.map((agent) => agent.id)).toEqual(DEFAULT_AGENTS);
    expect(config.manager).toMatchObject({ id: 'manager', role: 'team_manager', isManager: true });
  });

  it('reads orchestrator-config.json of the current directory, or --config, resolving paths from the file', async () => {
    const inCwd = await project.write('orchestrator-config.json', await editedDefault(() => undefined));
    expect(loadTeamConfig({ cwd: project.dir }).configFile).toBe(inCwd);

    await project.write('team/orchestrator-config.json', await editedDefault((config) => Object.assign(config, { project_dir: '..' })));
    const config = loadTeamConfig({ configPath: 'team/orchestrator-config.json', cwd: project.dir });
    expect(config.configFile).toBe(project.path('team/orchestrator-config.json'));
    expect(config.projectDir).toBe(project.dir);
    expect(config.runsDir).toBe(project.path('.agent-runs'));
  });

  it('prefers the project prompts and .ai-agents/config.yml when they exist', async () => {
    const agentsText = await readFile(builtInPaths().agentsConfig, 'utf8');
    const agentsFile = await project.write('.ai-agents/config.yml', agentsText);
    await project.write('prompts/base/manager.md', 'Manage.');
    const config = loadTeamConfig({ cwd: project.dir });
    expect(config.agentsFile).toBe(agentsFile);
    expect(config.promptsDir).toBe(project.path('prompts'));
  });

  it('gives every key its default: a config with only agents is a whole config', async () => {
    await project.write(
      'orchestrator-config.json',
      JSON.stringify({
        agents: [
          { id: 'manager', role: 'team_manager' },
          { id: 'dev', role: 'backend_developer' },
        ],
      }),
    );
    const { orchestrator, roster } = loadTeamConfig({ cwd: project.dir });
    expect(roster).toMatchObject([
      { id: 'manager', maxConcurrentTasks: 1, isManager: true },
      { id: 'dev', maxConcurrentTasks: 1, isManager: false },
    ]);
    expect(orchestrator.coordination).toMatchObject({
      check_interval_seconds: 30,
      max_iterations: 50,
      auto_merge: false,
      manager: 'manager',
      task_timeout_seconds: 600,
      max_attempts: 2,
    });
    expect(orchestrator.budget).toMatchObject({ max_usd: null, max_tokens: null, per_agent_usd: null, per_agent_tokens: null });
    expect(orchestrator.project_dir).toBe('.');
    expect(orchestrator.workspace.sandbox).toBe('bwrap');
  });

  it('a --config that does not exist: ConfigError naming the file, with a hint', () => {
    const error = configErrorOf(() => loadTeamConfig({ configPath: 'missing.json', cwd: project.dir }));
    expect(error).toMatchObject({ code: 'config_invalid', exitCode: 2, file: project.path('missing.json') });
    expect(error.issues).toEqual([{ path: '', message: 'orchestrator config not found' }]);
    expect(error.message).toContain('run without --config to use the built-in default team');
  });

  it.each([
    {
      name: 'max_concurrent_tasks: 0',
      edit: (config: { agents: Record<string, unknown>[] }) => Object.assign(config.agents[1] ?? {}, { max_concurrent_tasks: 0 }),
      issue: { path: 'agents.1.max_concurrent_tasks', message: 'Too small: expected number to be >0 (found number 0)' },
    },
    {
      name: 'an unknown key',
      edit: (config: { agents: Record<string, unknown>[] }) => Object.assign(config.agents[1] ?? {}, { colour: 'red' }),
      issue: { path: 'agents.1', message: 'unknown key "colour"; expected only id, role, max_concurrent_tasks' },
    },
    {
      name: 'a manager outside the roster',
      edit: (config: Record<string, unknown>) => Object.assign(config['coordination'] as object, { manager: 'boss' }),
      issue: {
        path: 'coordination.manager',
        message: 'expected the id of a roster agent, found "boss" (roster: manager, backend-dev, frontend-dev, qa-tester, reviewer)',
      },
    },
    {
      name: 'an unknown sandbox',
      edit: (config: Record<string, unknown>) => Object.assign(config, { workspace: { sandbox: 'docker' } }),
      issue: { path: 'workspace.sandbox', message: 'Invalid option: expected one of "bwrap"|"off"' },
    },
    {
      name: 'a structured-output mode the provider does not have',
      edit: (config: Record<string, unknown>) => Object.assign(config, { providers: { anthropic: { structured_output: 'json_schema' } } }),
      issue: { path: 'providers.anthropic.structured_output', message: 'Invalid option: expected one of "auto"|"tools"|"prompt"' },
    },
  ])('with $name: ConfigError naming the file and the dot path', async ({ edit, issue }) => {
    const file = await project.write('orchestrator-config.json', await editedDefault(edit as (config: object) => void));
    const error = configErrorOf(() => loadTeamConfig({ cwd: project.dir }));
    expect(error).toMatchObject({ name: 'ConfigError', code: 'config_invalid', exitCode: 2, file });
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe(issue.path);
    expect(error.issues[0]?.message.startsWith(issue.message)).toBe(true);
    expect(error.message.startsWith(`${file} is invalid:\n  - ${issue.path}: ${issue.message}`)).toBe(true);
  });
});

describe('parsing one file', () => {
  it('orchestrator config that is not JSON: the issue is at the root, at the line and column, and says what the parser found', () => {
    const error = configErrorOf(() => parseOrchestratorConfig('{\n  "agents": [,]\n}\n', 'team.json'));
    expect(error.file).toBe('team.json');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ path: '', line: 2, column: 14 });
    expect(error.issues[0]?.message).toMatch(/^invalid JSON: expected a value .*, found ","$/);
    expect(error.message).toMatch(/^team\.json is invalid:\n {2}- line 2, column 14: invalid JSON: expected a value/);
  });

  it('agents config that is not YAML, and one that breaks the schema, name the file', () => {
    const notYaml = configErrorOf(() => parseAgentsConfig('agents: [unclosed\n', 'agents.yml'));
    expect(notYaml.file).toBe('agents.yml');
    expect(notYaml.issues[0]).toMatchObject({ path: '', line: 2, column: 1 });
    expect(notYaml.issues[0]?.message).toMatch(/^invalid YAML: Flow sequence in block collection/);
    const invalid = configErrorOf(() => parseAgentsConfig('agents:\n  backend_developer:\n    max_tokens: -1\n', 'agents.yml'));
    expect(invalid.file).toBe('agents.yml');
    expect(invalid.issues.map((issue) => issue.path)).toContain('agents.backend_developer.base');
  });
});
