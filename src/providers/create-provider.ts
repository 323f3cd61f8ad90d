import { UsageError } from '../errors/index.js';
import { createSimProvider } from './sim.js';
import type { LlmProvider } from './types.js';

/** Names of the providers this build can create. */
export const PROVIDER_NAMES = ['sim'] as const;
/** A provider name. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Creates the provider a run was started with. */
export function createProvider(input: { name: string; seed: number; timeScale: number }): LlmProvider {
  switch (input.name) {
    case 'sim':
      return createSimProvider({ seed: input.seed, timeScale: input.timeScale });
    default:
      throw new UsageError(`Unknown provider "${input.name}". Available: ${PROVIDER_NAMES.join(', ')}.`);
  }
}
