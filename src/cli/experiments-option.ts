/** `--experiments DIR` (serve, run --ui): more folders whose experiments the dashboard shows. */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors/index.js';

/** The help text of `--experiments`, the same on every command that takes it. */
export const EXPERIMENTS_OPTION_HELP =
  'another folder of experiment directories (or one experiment directory) for the dashboard, besides ./experiments (repeatable)';

/** Collects a repeated option's values in order. */
export function collectValues(value: string, values: string[]): string[] {
  return [...values, value];
}

/** The folders as absolute paths; one that is not a directory is a UsageError naming it. */
export function experimentFolders(input: { values: readonly string[] | undefined; cwd: string }): string[] {
  return (input.values ?? []).map((value) => {
    const dir = resolve(input.cwd, value);
    let isDirectory = false;
    try {
      isDirectory = statSync(dir).isDirectory();
    } catch {
      isDirectory = false;
    }
    if (!isDirectory) {
      throw new UsageError(
        `--experiments ${value}: ${dir} is not a directory. Give the folder \`agent-team experiment run\` wrote to (experiments/ beside the experiment file, or its --out).`,
      );
    }
    return dir;
  });
}
