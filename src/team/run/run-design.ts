/**
 * A run keeps the design it started with. `run --roster … --tiers …` records the design in the run's
 * options; `run --resume`, the agent processes of `run --processes` and `agent-team worker` lay it over
 * the config files they load, so every process of the run works as the same team. A different design
 * given to a run under way is refused: it would make one run two designs.
 */
import { type DesignOverrides, type TeamConfig, withDesign } from '../../config/index.js';
import { UsageError } from '../../errors/index.js';
import type { RunOptions, TeamState } from '../../state/index.js';

const PARTS = ['roster', 'tiers', 'orchestrator'] as const;

type RunDesign = NonNullable<RunOptions['design']>;

/** What the run's options record of `config`'s design: undefined when it has none. */
function recordedDesign(config: TeamConfig): RunDesign | undefined {
  const parts = PARTS.filter((part) => config.design[part] !== undefined);
  if (parts.length === 0) return undefined;
  return Object.fromEntries(parts.map((part) => [part, structuredClone(config.design[part])]));
}

/** The run options' `design` for a new run on `config`: none when the config has no design laid over it. */
export function designOption(config: TeamConfig): Pick<RunOptions, 'design'> {
  const design = recordedDesign(config);
  return design === undefined ? {} : { design };
}

function sameValues(a: RunDesign | undefined, b: RunDesign | undefined): boolean {
  return PARTS.every((part) => JSON.stringify(a?.[part]?.value) === JSON.stringify(b?.[part]?.value));
}

function described(design: RunDesign | undefined): string {
  if (design === undefined) return 'the config files alone';
  return PARTS.filter((part) => design[part] !== undefined)
    .map((part) => `${part} from ${design[part]?.where}`)
    .join(', ');
}

/**
 * The config a process of `state`'s run works with: `config` as loaded when the run has no design of its
 * own or the same one, else `config` with the run's design laid over it. A UsageError when `config` was
 * loaded with a design other than the run's.
 */
export function configOfRun(config: TeamConfig, state: TeamState): TeamConfig {
  const recorded = state.run.options.design;
  const given = recordedDesign(config);
  if (given === undefined) return recorded === undefined ? config : withDesign(config, recorded as DesignOverrides);
  if (sameValues(given, recorded)) return config;
  throw new UsageError(
    `Run ${state.run.id} was started with ${described(recorded)}, and this command gives ${described(given)}: ` +
      'a run keeps its design. Drop --roster and --tiers to continue it as it was started, or start a new run with the new design.',
  );
}
