import { resolve } from 'node:path';
import { type DesignOverrides, readDesignFile } from '../../config/index.js';

/** The design files of `--roster` and `--tiers`, read and parsed (validated when the config loads). */
export function designOverrides(options: { roster?: string | undefined; tiers?: string | undefined; cwd: string }): DesignOverrides {
  return {
    roster: options.roster === undefined ? undefined : readDesignFile(resolve(options.cwd, options.roster), 'roster'),
    tiers: options.tiers === undefined ? undefined : readDesignFile(resolve(options.cwd, options.tiers), 'tiers'),
  };
}
