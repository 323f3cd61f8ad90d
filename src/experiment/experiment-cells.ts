/**
 * The cells of an experiment: every design on every seed, each repetition once,
 * each with its own directory, config and store. A design's config is loaded and
 * checked before any cell runs, so a bad design fails the experiment at once.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DesignOverrides, loadTeamConfig, readDesignFile, type TeamConfig } from '../config/index.js';
import { UsageError } from '../errors/index.js';
import type { DesignSpec, LoadedExperiment } from './experiment-file.js';

/** One run of the experiment: a design on a seed (one repetition). */
export interface ExperimentCell {
  /** `<design>--seed-<n>--rep-<k>`: the cell's directory name. */
  readonly id: string;
  readonly design: string;
  /** The design's place in the file: rows and charts follow it. */
  readonly designIndex: number;
  readonly seed: number;
  readonly repetition: number;
  /** The cell's directory: its state, ledger and run directory. */
  readonly dir: string;
}

/** A design with its config loaded (roster, tiers and overrides applied). */
export interface LoadedDesign {
  readonly spec: DesignSpec;
  readonly config: TeamConfig;
}

function overridesOf(loaded: LoadedExperiment, design: DesignSpec, index: number): DesignOverrides {
  const at = `${loaded.file} designs.${index}`;
  const sourced = (value: unknown, key: 'roster' | 'tiers') =>
    typeof value === 'string' ? readDesignFile(resolve(loaded.dir, value), key) : { value, where: `${at}.${key}` };
  return {
    roster: design.roster === null ? undefined : sourced(design.roster, 'roster'),
    tiers: design.tiers === null ? undefined : sourced(design.tiers, 'tiers'),
    orchestrator: Object.keys(design.overrides).length === 0 ? undefined : { value: design.overrides, where: `${at}.overrides` },
  };
}

/** Loads every design's config; errors name the experiment file and the design. */
export function loadDesigns(loaded: LoadedExperiment): LoadedDesign[] {
  return loaded.spec.designs.map((spec, index) => {
    const base = spec.config ?? loaded.spec.config;
    const config = loadTeamConfig({
      configPath: base === null ? undefined : resolve(loaded.dir, base),
      cwd: loaded.dir,
      store: 'file',
      overrides: overridesOf(loaded, spec, index),
    });
    if (config.orchestrator.workspace.enabled) {
      throw new UsageError(
        `Design "${spec.name}" enables workspace runs; experiment cells run side by side and cannot share one repository. ` +
          'Set overrides.workspace.enabled to false for it.',
      );
    }
    return { spec, config };
  });
}

/** Every cell, in the order of the results: design, then seed, then repetition. */
export function experimentCells(loaded: LoadedExperiment, outDir: string): ExperimentCell[] {
  const cells: ExperimentCell[] = [];
  loaded.spec.designs.forEach((design, designIndex) => {
    for (const seed of loaded.seeds) {
      for (let repetition = 1; repetition <= loaded.spec.repetitions; repetition += 1) {
        const id = `${design.name}--seed-${seed}--rep-${repetition}`;
        cells.push({ id, design: design.name, designIndex, seed, repetition, dir: join(outDir, 'cells', id) });
      }
    }
  });
  return cells;
}

/** The design's config pointed at the cell's own state, ledger and runs directory (the file store). */
export function cellConfig(design: LoadedDesign, cell: ExperimentCell): TeamConfig {
  const stateFile = join(cell.dir, 'state', 'team-communication.json');
  return {
    ...design.config,
    stateFile,
    ledgerFile: join(cell.dir, 'state', 'run_ledger.jsonl'),
    runsDir: join(cell.dir, 'runs'),
    store: { kind: 'file' },
  };
}

/** True when the cell's run has started (its state file exists). */
export function cellStarted(config: TeamConfig): boolean {
  return existsSync(config.stateFile);
}
