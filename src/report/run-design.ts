import { createHash } from 'node:crypto';
import type { TeamConfig } from '../config/index.js';
import { composeSystemPrompt } from '../prompts/index.js';
import type { RunOptions } from '../state/index.js';

/** A tier map: the model of each tier. */
export interface DesignTiers {
  simple: string;
  medium: string;
  complex: string;
}

/** One roster member as designed: its role, models, provider and the hash of its composed system prompt. */
export interface DesignMember {
  id: string;
  role: string;
  isManager: boolean;
  maxConcurrentTasks: number;
  /** The role's own provider, else the run's. */
  provider: string;
  /** The role's fixed model, or null when the tier picks it. */
  model: string | null;
  tier: string;
  /** The tier map this member uses (its role's own, else the team's). */
  tiers: DesignTiers;
  /** sha256 (first 16 hex digits) of the composed system prompt: same hash, same prompt. */
  promptHash: string;
}

/** `summary.json`'s `design`: everything that makes this team this team, so a run says which design it was. */
export interface RunDesign {
  /** sha256 (first 16 hex digits) of everything below but the seed and the time scale: runs of one design share it. */
  hash: string;
  configFile: string | null;
  roster: DesignMember[];
  tiers: DesignTiers;
  coordination: TeamConfig['orchestrator']['coordination'];
  budget: TeamConfig['orchestrator']['budget'];
  /** Gates of workspace runs (names), empty otherwise. */
  gates: string[];
  sim: { seed: number; timeScale: number; blockerRate: number; gateFailureRate: number; planTasks: number | null };
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The design of a run from the config it ran with and the options it was started with. */
export function describeDesign(config: TeamConfig, options: RunOptions): RunDesign {
  const roster = config.roster.map((member): DesignMember => {
    let promptHash = 'unavailable';
    try {
      promptHash = shortHash(composeSystemPrompt(config, member.id).text);
    } catch {
      // A prompt file removed since the run (an export long after) leaves the rest of the design readable.
    }
    return {
      id: member.id,
      role: member.role,
      isManager: member.isManager,
      maxConcurrentTasks: member.maxConcurrentTasks,
      provider: member.roleConfig.provider ?? options.provider,
      model: member.roleConfig.model ?? null,
      tier: member.roleConfig.tier,
      tiers: { ...(member.roleConfig.tiers ?? config.agentsConfig.tiers) },
      promptHash,
    };
  });
  const design = {
    configFile: config.configFile,
    roster,
    tiers: { ...config.agentsConfig.tiers },
    coordination: { ...config.orchestrator.coordination },
    budget: { ...config.orchestrator.budget },
    gates: options.workspace === null ? [] : config.orchestrator.workspace.gates.map((gate) => gate.name),
    sim: {
      seed: options.seed,
      timeScale: options.timeScale,
      blockerRate: options.blockerRate,
      gateFailureRate: options.gateFailureRate,
      planTasks: options.planTasks,
    },
  };
  const { seed: _seed, timeScale: _timeScale, ...simShape } = design.sim;
  const { configFile: _configFile, ...shape } = design;
  return { hash: shortHash(JSON.stringify({ ...shape, sim: simShape })), ...design };
}
