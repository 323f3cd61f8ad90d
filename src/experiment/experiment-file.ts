/**
 * The experiment file (YAML or JSON): which designs, on which seeds, how many
 * repetitions, how many cells at once, and the hard budgets. One zod schema,
 * with a JSON Schema generated from it for editors.
 */
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { readInputFileSync, safeParseDataText } from '../files/index.js';

const NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** One team design: a base config plus overrides. */
export const designSchema = z
  .object({
    name: z
      .string()
      .regex(NAME, 'must be lowercase letters, digits, "-" or "_"')
      .describe('Design name: a column value and a directory name.'),
    config: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe("Base orchestrator-config.json, relative to the experiment file; null: the experiment's config."),
    roster: z
      .union([z.string().min(1), z.array(z.unknown())])
      .nullable()
      .default(null)
      .describe(
        'The roster: a file (JSON/YAML list of agents) or the list itself, as "agents" in orchestrator-config.json; null: the config\'s.',
      ),
    tiers: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())])
      .nullable()
      .default(null)
      .describe("Tier map: a file or the map itself ({ simple, medium, complex } → model); null: the config's."),
    overrides: z
      .record(z.string(), z.unknown())
      .default({})
      .describe(
        'orchestrator-config.json keys merged over the config, e.g. { coordination: { max_attempts: 3 }, provider: { blocker_rate: 0.1 } }.',
      ),
  })
  .strict();

/** Seeds: a list, or `{ from, count }`. */
const seedsSchema = z
  .union([z.array(z.number().int()).min(1), z.object({ from: z.number().int().default(1), count: z.number().int().positive() }).strict()])
  .describe('Seeds every design runs on (shared, so differences are paired): a list, or { from, count }.');

/** `experiment.yml`. */
export const experimentFileSchema = z
  .object({
    $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors.'),
    name: z.string().regex(NAME, 'must be lowercase letters, digits, "-" or "_"').describe('Experiment name; its directory by default.'),
    feature: z.string().min(1).describe('The feature every cell builds.'),
    config: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('Base orchestrator-config.json, relative to this file; null: the one beside it, else the built-in team.'),
    designs: z
      .array(designSchema)
      .min(1)
      .refine((designs) => new Set(designs.map((design) => design.name)).size === designs.length, 'design names must be unique')
      .describe('The designs compared.'),
    seeds: seedsSchema,
    repetitions: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe('Runs per design and seed (the sim repeats itself; real providers do not).'),
    concurrency: z.number().int().positive().max(64).default(4).describe('Cells running at once.'),
    time_scale: z.number().nonnegative().default(0).describe('Sim latency multiplier of every cell (0: instant).'),
    record: z
      .enum(['auto', 'always', 'never'])
      .default('auto')
      .describe(
        'Record every call of a cell to cells/<cell>/cassette.jsonl, for `experiment run --replay`: auto records cells whose design uses a real provider.',
      ),
    budget: z
      .object({
        per_cell_usd: z.number().positive().describe('Hard limit on one cell (run) in USD.'),
        total_usd: z.number().positive().describe('Hard limit on the whole experiment in USD: a cell starts only within what is left.'),
      })
      .strict()
      .describe('Hard budgets; never exceeded.'),
  })
  .strict();

/** A parsed design. */
export type DesignSpec = z.infer<typeof designSchema>;
/** A parsed experiment file. */
export type ExperimentFile = z.infer<typeof experimentFileSchema>;

/** An experiment file read and validated, with where it is and a hash of its text. */
export interface LoadedExperiment {
  readonly file: string;
  readonly dir: string;
  readonly spec: ExperimentFile;
  readonly seeds: readonly number[];
  /** sha256 of the file's text: a resumed experiment must be the same one. */
  readonly hash: string;
}

/** The seeds of a spec as a list. */
export function seedList(seeds: ExperimentFile['seeds']): number[] {
  return Array.isArray(seeds) ? [...new Set(seeds)] : Array.from({ length: seeds.count }, (_, index) => seeds.from + index);
}

/** Reads and validates an experiment file; a ConfigError names the file and the dot path of each problem. */
export function loadExperimentFile(file: string, cwd: string): LoadedExperiment {
  const path = resolve(cwd, file);
  const text = readInputFileSync({ file: path, what: 'experiment file', missingHint: 'Check the path of the experiment file.' });
  const parsed = safeParseDataText({ text, where: path, schema: experimentFileSchema });
  if (!parsed.ok) throw ConfigError.fromDataFileError(parsed.error, 'See `agent-team experiment schema` for every key.');
  return {
    file: path,
    dir: dirname(path),
    spec: parsed.value,
    seeds: seedList(parsed.value.seeds),
    hash: createHash('sha256').update(text).digest('hex'),
  };
}

/** JSON Schema of the experiment file, for editors. */
export function experimentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(experimentFileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
