/**
 * A team design as data laid over a config: a roster (the `agents` list of
 * orchestrator-config.json), a tier map (as under `tiers:` in
 * .ai-agents/config.yml) and orchestrator keys (coordination, provider, budget…).
 * They come from `--roster FILE`, `--tiers FILE` or an experiment's design; every
 * problem is a ConfigError naming where the value came from and the field.
 */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { readInputFileSync, safeParseDataText, validateData } from '../files/index.js';
import type { AgentsConfig } from './agents-config.js';
import { orchestratorConfigSchema, rosterAgentSchema, type OrchestratorConfig, type RosterAgent } from './orchestrator-config.js';

/** A value and where it came from (a file path, or `experiment.yml designs.2.roster`), named in every error. */
export interface SourcedValue<T> {
  readonly value: T;
  readonly where: string;
}

/** What a design changes in a loaded config; each part is optional. */
export interface DesignOverrides {
  /** Replaces the roster: an array of agents, or an object with an `agents` array (an orchestrator-config.json). */
  readonly roster?: SourcedValue<unknown> | undefined;
  /** Replaces models of the tiers it names: `{ simple, medium, complex }`, or an object with a `tiers` map (.ai-agents/config.yml). */
  readonly tiers?: SourcedValue<unknown> | undefined;
  /** Orchestrator keys merged over the config file's (e.g. `{ coordination: { max_attempts: 3 } }`). */
  readonly orchestrator?: SourcedValue<Record<string, unknown>> | undefined;
}

const unwrap = (key: string) => (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && key in value ? (value as Record<string, unknown>)[key] : value;

/** A roster file: the list of agents, or an orchestrator config whose `agents` is used. */
export const rosterFileSchema = z.preprocess(
  unwrap('agents'),
  z.array(rosterAgentSchema).min(2, 'a roster needs a manager and at least one role agent').describe('The roster.'),
);

/** A tier map file: models for some or all tiers, or an agents config whose `tiers` is used. */
export const tierFileSchema = z.preprocess(
  unwrap('tiers'),
  z
    .object({
      simple: z.string().min(1).optional().describe('Model of the simple tier.'),
      medium: z.string().min(1).optional().describe('Model of the medium tier.'),
      complex: z.string().min(1).optional().describe('Model of the complex tier.'),
    })
    .strict()
    .refine((tiers) => Object.keys(tiers).length > 0, 'expected at least one of simple, medium, complex'),
);

/** Reads `--roster FILE` or `--tiers FILE` (JSON or YAML by extension) as a sourced value. */
export function readDesignFile(file: string, what: 'roster' | 'tiers'): SourcedValue<unknown> {
  const text = readInputFileSync({
    file,
    what: what === 'roster' ? 'roster file' : 'tier map file',
    missingHint: `Check the --${what} path.`,
  });
  const parsed = safeParseDataText({ text, where: file });
  if (!parsed.ok) throw ConfigError.fromDataFileError(parsed.error);
  return { value: parsed.value, where: file };
}

function validated<T>(input: SourcedValue<unknown>, schema: z.ZodType<T>, hint: string): T {
  const result = validateData({ value: input.value, where: input.where, schema });
  if (!result.ok) throw ConfigError.fromDataFileError(result.error, hint);
  return result.value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `patch` merged into `base`: objects key by key, anything else replaced. */
export function mergeDeep(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) merged[key] = mergeDeep(base[key], value);
  return merged;
}

/** The orchestrator config with the design's keys and roster applied, validated again. */
export function applyOrchestratorOverrides(orchestrator: OrchestratorConfig, overrides: DesignOverrides): OrchestratorConfig {
  let result = orchestrator;
  if (overrides.orchestrator !== undefined) {
    result = validated(
      { value: mergeDeep(result, overrides.orchestrator.value), where: overrides.orchestrator.where },
      orchestratorConfigSchema,
      'Design overrides use the keys of orchestrator-config.json (agent-team config schema).',
    );
  }
  if (overrides.roster !== undefined) {
    const agents: RosterAgent[] = validated(
      overrides.roster,
      rosterFileSchema,
      'A roster is a JSON/YAML list of { id, role, max_concurrent_tasks }, as under "agents" in orchestrator-config.json.',
    );
    result = { ...result, agents };
  }
  return result;
}

/** The agents config with the design's tier models applied. */
export function applyTierOverrides(agentsConfig: AgentsConfig, overrides: DesignOverrides): AgentsConfig {
  if (overrides.tiers === undefined) return agentsConfig;
  const tiers = validated(
    overrides.tiers,
    tierFileSchema,
    'A tier map is a JSON/YAML map such as { simple: claude-haiku-4-5, medium: claude-sonnet-5, complex: claude-opus-4-5 }.',
  );
  return { ...agentsConfig, tiers: { ...agentsConfig.tiers, ...tiers } };
}
