import type { CallPurpose } from './types.js';

/** How fast a model family answers: time to first token and output tokens per second. */
export interface LatencyProfile {
  readonly firstTokenMs: number;
  readonly tokensPerSecond: number;
  /** Smallest prefix the provider caches, in tokens. */
  readonly minCacheTokens: number;
  /** Anthropic bills cache writes; OpenAI caches automatically in 128-token steps. */
  readonly cacheStyle: 'anthropic' | 'openai';
}

const PROFILES: readonly (readonly [RegExp, LatencyProfile])[] = [
  [/haiku/, { firstTokenMs: 450, tokensPerSecond: 140, minCacheTokens: 4096, cacheStyle: 'anthropic' }],
  [/sonnet/, { firstTokenMs: 800, tokensPerSecond: 75, minCacheTokens: 1024, cacheStyle: 'anthropic' }],
  [/opus/, { firstTokenMs: 1400, tokensPerSecond: 45, minCacheTokens: 4096, cacheStyle: 'anthropic' }],
  [/^claude/, { firstTokenMs: 900, tokensPerSecond: 70, minCacheTokens: 1024, cacheStyle: 'anthropic' }],
  [/mini|nano/, { firstTokenMs: 350, tokensPerSecond: 120, minCacheTokens: 1024, cacheStyle: 'openai' }],
  [/^gpt-5/, { firstTokenMs: 2500, tokensPerSecond: 70, minCacheTokens: 1024, cacheStyle: 'openai' }],
  [/^gpt-4/, { firstTokenMs: 550, tokensPerSecond: 85, minCacheTokens: 1024, cacheStyle: 'openai' }],
];

const FALLBACK: LatencyProfile = { firstTokenMs: 900, tokensPerSecond: 60, minCacheTokens: 1024, cacheStyle: 'openai' };

/** The latency profile of a model id. */
export function latencyProfile(model: string): LatencyProfile {
  return PROFILES.find(([pattern]) => pattern.test(model))?.[1] ?? FALLBACK;
}

/**
 * Median output tokens per purpose. Real agents write code and reasoning, far
 * more than the structured summary they end with, so the forecast draws from these.
 */
export const OUTPUT_TOKEN_MEDIANS: Readonly<Record<Exclude<CallPurpose, 'prompt' | 'role-task'> | 'blocked', number>> = {
  plan: 160, // per planned task
  work: 1400,
  blocked: 220,
  resolve: 320,
  integrate: 700,
  gate: 260,
};
