import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { readInputFileSync, safeParseDataText } from '../files/index.js';
import { agentsConfigSchema, type AgentsConfig, type RoleConfig } from './agents-config.js';
import { applyOrchestratorOverrides, applyTierOverrides, type DesignOverrides } from './design-overrides.js';
import { orchestratorConfigSchema, type OrchestratorConfig } from './orchestrator-config.js';
import { builtInPaths } from './package-paths.js';
import { parseStoreLocation, type StoreLocation } from './store-location.js';

/** A roster agent joined with its role's prompts and model settings. */
export interface ResolvedAgent {
  readonly id: string;
  readonly role: string;
  readonly maxConcurrentTasks: number;
  readonly roleConfig: RoleConfig;
  readonly isManager: boolean;
}

/** Everything a run needs from configuration, with every path absolute. */
export interface TeamConfig {
  /** The orchestrator config file read, or null when the built-in default was used. */
  readonly configFile: string | null;
  readonly projectDir: string;
  readonly stateFile: string;
  readonly ledgerFile: string;
  /** Where the live state is: the file store (`stateFile`, `ledgerFile`) or a run in PostgreSQL. */
  readonly store: StoreLocation;
  readonly runsDir: string;
  readonly promptsDir: string;
  readonly agentsFile: string;
  readonly orchestrator: OrchestratorConfig;
  readonly agentsConfig: AgentsConfig;
  readonly roster: readonly ResolvedAgent[];
  readonly manager: ResolvedAgent;
  /** The design laid over the config files (`--roster`, `--tiers`, an experiment cell, a resumed run's); `{}` when none. */
  readonly design: DesignOverrides;
}

function readText(file: string, what: string): string {
  return readInputFileSync({ file, what, missingHint: 'Check the path, or run without --config to use the built-in default team.' });
}

/** Parses and validates a config text; every problem is a ConfigError naming the file, with line:column or dot path. */
function parseConfigText<T>(input: { text: string; file: string; format: 'json' | 'yaml'; schema: z.ZodType<T> }): T {
  const result = safeParseDataText({ text: input.text, where: input.file, format: input.format, schema: input.schema });
  if (!result.ok) throw ConfigError.fromDataFileError(result.error);
  return result.value;
}

/** Parses an orchestrator config text; errors name the file and the line:column or the dot path. */
export function parseOrchestratorConfig(text: string, file: string): OrchestratorConfig {
  return parseConfigText({ text, file, format: 'json', schema: orchestratorConfigSchema });
}

/** Parses an agents config YAML text; errors name the file and the line:column or the dot path. */
export function parseAgentsConfig(text: string, file: string): AgentsConfig {
  return parseConfigText({ text, file, format: 'yaml', schema: agentsConfigSchema });
}

function crossCheck(input: {
  orchestrator: OrchestratorConfig;
  agentsConfig: AgentsConfig;
  configLabel: string;
  agentsFile: string;
}): ResolvedAgent[] {
  const { orchestrator, agentsConfig, configLabel, agentsFile } = input;
  const issues: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  const roles = Object.keys(agentsConfig.agents);
  orchestrator.agents.forEach((agent, index) => {
    if (seen.has(agent.id)) issues.push({ path: `agents.${index}.id`, message: `duplicate agent id "${agent.id}"` });
    seen.add(agent.id);
    if (agentsConfig.agents[agent.role] === undefined) {
      issues.push({
        path: `agents.${index}.role`,
        message: `unknown role "${agent.role}": expected one of ${roles.join(', ')} (defined in ${agentsFile})`,
      });
    }
  });
  if (!seen.has(orchestrator.coordination.manager)) {
    issues.push({
      path: 'coordination.manager',
      message: `expected the id of a roster agent, found "${orchestrator.coordination.manager}" (roster: ${[...seen].join(', ')})`,
    });
  }
  const gateNames = new Set<string>();
  orchestrator.workspace.gates.forEach((gate, index) => {
    if (gateNames.has(gate.name)) issues.push({ path: `workspace.gates.${index}.name`, message: `duplicate gate "${gate.name}"` });
    gateNames.add(gate.name);
    if (gate.agent !== null && !seen.has(gate.agent)) {
      issues.push({
        path: `workspace.gates.${index}.agent`,
        message: `expected the id of a roster agent, found "${gate.agent}" (roster: ${[...seen].join(', ')})`,
      });
    }
  });
  if (issues.length > 0) throw new ConfigError({ file: configLabel, issues });
  return orchestrator.agents.map((agent) => ({
    id: agent.id,
    role: agent.role,
    maxConcurrentTasks: agent.max_concurrent_tasks,
    roleConfig: agentsConfig.agents[agent.role] as RoleConfig,
    isManager: agent.id === orchestrator.coordination.manager,
  }));
}

function resolveOptionalPath(input: { projectDir: string; value: string; fallback: string; isDefault: boolean }): string {
  const candidate = isAbsolute(input.value) ? input.value : resolve(input.projectDir, input.value);
  if (existsSync(candidate) || !input.isDefault) return candidate;
  return input.fallback;
}

/**
 * Loads the team configuration: `configPath` if given, else `orchestrator-config.json`
 * in `cwd`, else the built-in default team (working on `cwd`). The store is `store` (a `--store` value,
 * or AGENT_TEAM_STORE as `storeFrom` says), else the file store.
 */
export function loadTeamConfig(input: {
  configPath?: string | undefined;
  cwd: string;
  store?: string | undefined;
  /** Where `store` came from, for messages (default `--store`). */
  storeFrom?: string | undefined;
  /** A design laid over the config: roster, tier map, orchestrator keys (`--roster`, `--tiers`, an experiment cell). */
  overrides?: DesignOverrides | undefined;
}): TeamConfig {
  const builtIn = builtInPaths();
  let configFile: string | null = null;
  let baseDir = input.cwd;
  let text: string;
  if (input.configPath !== undefined) {
    configFile = resolve(input.cwd, input.configPath);
    text = readText(configFile, 'orchestrator config');
    baseDir = dirname(configFile);
  } else if (existsSync(join(input.cwd, 'orchestrator-config.json'))) {
    configFile = join(input.cwd, 'orchestrator-config.json');
    text = readText(configFile, 'orchestrator config');
  } else {
    text = readText(builtIn.orchestratorConfig, 'built-in orchestrator config');
  }
  const configLabel = configFile ?? `${builtIn.orchestratorConfig} (built-in default)`;
  const overrides = input.overrides ?? {};
  const orchestrator = applyOrchestratorOverrides(parseOrchestratorConfig(text, configLabel), overrides);
  const projectDir = resolve(baseDir, orchestrator.project_dir);

  const agentsFile = resolveOptionalPath({
    projectDir,
    value: orchestrator.agents_file,
    fallback: builtIn.agentsConfig,
    isDefault: orchestrator.agents_file === '.ai-agents/config.yml',
  });
  const agentsConfig = applyTierOverrides(
    parseAgentsConfig(readText(agentsFile, 'agents config (.ai-agents/config.yml)'), agentsFile),
    overrides,
  );
  const promptsDir = resolveOptionalPath({
    projectDir,
    value: orchestrator.prompts_dir,
    fallback: builtIn.promptsDir,
    isDefault: orchestrator.prompts_dir === 'prompts',
  });
  // A replaced roster is what a bad agent id or role is wrong in.
  const checkedLabel = overrides.roster === undefined ? configLabel : `${overrides.roster.where} (roster over ${configLabel})`;
  const roster = crossCheck({ orchestrator, agentsConfig, configLabel: checkedLabel, agentsFile });
  const stateFile = resolve(projectDir, orchestrator.communication_file);
  return {
    configFile,
    projectDir,
    stateFile,
    ledgerFile: join(dirname(stateFile), 'run_ledger.jsonl'),
    store: parseStoreLocation({ value: input.store, from: input.storeFrom ?? '--store', projectDir }),
    runsDir: resolve(projectDir, orchestrator.runs_dir),
    promptsDir,
    agentsFile,
    orchestrator,
    agentsConfig,
    roster,
    manager: roster.find((agent) => agent.isManager) as ResolvedAgent,
    design: overrides,
  };
}

/**
 * `config`, loaded without a design, with `design` laid over it: the design a run recorded when it started,
 * for the processes that resume or join it. Paths and the store stay as they are.
 */
export function withDesign(config: TeamConfig, design: DesignOverrides): TeamConfig {
  const orchestrator = applyOrchestratorOverrides(config.orchestrator, design);
  const agentsConfig = applyTierOverrides(config.agentsConfig, design);
  const configLabel = config.configFile ?? `${builtInPaths().orchestratorConfig} (built-in default)`;
  const checkedLabel = design.roster === undefined ? configLabel : `${design.roster.where} (roster over ${configLabel})`;
  const roster = crossCheck({ orchestrator, agentsConfig, configLabel: checkedLabel, agentsFile: config.agentsFile });
  return {
    ...config,
    orchestrator,
    agentsConfig,
    roster,
    manager: roster.find((agent) => agent.isManager) as ResolvedAgent,
    design,
  };
}
