import { AgentTeamError } from '../errors/index.js';
import type { Usage } from '../providers/index.js';

/** USD per million tokens for one model. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  readonly cacheWrite: number;
  readonly cacheRead: number;
}

function anthropic(input: number, output: number): ModelPrice {
  // Anthropic: 5-minute cache writes cost 1.25x input, cache reads 0.1x input.
  return { input, output, cacheWrite: input * 1.25, cacheRead: input * 0.1 };
}

function openai(input: number, cached: number, output: number): ModelPrice {
  // OpenAI caches automatically: writing costs nothing extra, reads are the cached-input price.
  return { input, output, cacheWrite: input, cacheRead: cached };
}

/** List prices, USD per million tokens (late 2026). */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'claude-haiku-3-5': anthropic(0.8, 4),
  'claude-haiku-4-5': anthropic(1, 5),
  'claude-sonnet-4': anthropic(3, 15),
  'claude-sonnet-4-5': anthropic(3, 15),
  'claude-sonnet-5': anthropic(2, 10),
  'claude-opus-4': anthropic(15, 75),
  'claude-opus-4-1': anthropic(15, 75),
  'claude-opus-4-5': anthropic(5, 25),
  'claude-opus-4-6': anthropic(5, 25),
  'claude-opus-4-7': anthropic(5, 25),
  'claude-opus-4-8': anthropic(5, 25),
  'claude-opus-5': anthropic(5, 25),
  'gpt-4o': openai(2.5, 1.25, 10),
  'gpt-4o-mini': openai(0.15, 0.075, 0.6),
  'gpt-4.1': openai(2, 0.5, 8),
  'gpt-4.1-mini': openai(0.4, 0.1, 1.6),
  'gpt-4.1-nano': openai(0.1, 0.025, 0.4),
  'gpt-5': openai(1.25, 0.125, 10),
  'gpt-5.1': openai(1.25, 0.125, 10),
  'gpt-5-mini': openai(0.25, 0.025, 2),
};

/** A model has no price: the cost of its calls cannot be accounted. */
export class UnknownModelPriceError extends AgentTeamError {
  constructor(model: string) {
    super(
      'model_unpriced',
      `No price for model "${model}", so its calls cannot be accounted. ` +
        `Use a priced model in .ai-agents/config.yml (${Object.keys(DEFAULT_PRICES).join(', ')}), ` +
        `or price it under "prices" in orchestrator-config.json: {"${model}": {"input": …, "output": …}}.`,
      { exitCode: 2 },
    );
  }
}

/** The alias of a dated snapshot (claude-haiku-4-5-20251001, gpt-4.1-2025-04-14), which prices and sizes as its alias. */
export function modelAlias(model: string): string {
  return model.replace(/-\d{8}$/, '').replace(/-\d{4}-\d{2}-\d{2}$/, '');
}

/** Looks a model's price up; dated ids (`claude-haiku-4-5-20251001`) fall back to their alias. */
export function priceOf(model: string, table: Readonly<Record<string, ModelPrice>> = DEFAULT_PRICES): ModelPrice {
  const exact = table[model];
  if (exact !== undefined) return exact;
  const aliased = table[modelAlias(model)];
  if (aliased !== undefined) return aliased;
  throw new UnknownModelPriceError(model);
}

/** Cost of one call's usage in USD. */
export function costOf(usage: Usage, price: ModelPrice): number {
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheWriteTokens * price.cacheWrite +
      usage.cacheReadTokens * price.cacheRead) /
    1_000_000
  );
}

/** A price as written in config: USD per million tokens, cache prices optional. */
export interface PriceOverride {
  input: number;
  output: number;
  cache_write?: number | undefined;
  cache_read?: number | undefined;
  /** The model's context window in tokens; the built-in one when absent. */
  context_window?: number | undefined;
}

/** The built-in prices with config's additions and overrides; missing cache prices follow the vendor's rule. */
export function priceTable(overrides: Readonly<Record<string, PriceOverride>>): Readonly<Record<string, ModelPrice>> {
  const table: Record<string, ModelPrice> = { ...DEFAULT_PRICES };
  for (const [model, price] of Object.entries(overrides)) {
    const claude = model.startsWith('claude');
    table[model] = {
      input: price.input,
      output: price.output,
      cacheWrite: price.cache_write ?? (claude ? price.input * 1.25 : price.input),
      cacheRead: price.cache_read ?? (claude ? price.input * 0.1 : price.input * 0.5),
    };
  }
  return table;
}
