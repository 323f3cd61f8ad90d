/**
 * The most output tokens known models accept per call, from the vendors' model pages
 * (late 2026). A dated snapshot (`claude-opus-4-5-20251101`, `gpt-4.1-2025-04-14`) takes
 * its model's limit; an unknown model has none here.
 */

const LIMITS: readonly (readonly [model: string, maxOutputTokens: number])[] = [
  ['claude-3-5-haiku', 8192],
  ['claude-haiku-4-5', 64_000],
  ['claude-sonnet-4-5', 64_000],
  ['claude-sonnet-4', 64_000],
  ['claude-opus-4-5', 64_000],
  ['claude-opus-4-1', 32_000],
  ['claude-opus-4', 32_000],
  ['gpt-4o-mini', 16_384],
  ['gpt-4o', 16_384],
  ['gpt-4.1-nano', 32_768],
  ['gpt-4.1-mini', 32_768],
  ['gpt-4.1', 32_768],
  ['gpt-5-mini', 128_000],
  ['gpt-5', 128_000],
];

// What may follow a model id in a dated snapshot's id.
const SNAPSHOT_SUFFIX = /^-(\d{8}|\d{4}-\d{2}-\d{2})$/;

/** The model's output limit in tokens, or undefined when this table does not know the model. */
export function maxOutputTokensOf(model: string): number | undefined {
  for (const [id, limit] of LIMITS) {
    if (model === id || (model.startsWith(id) && SNAPSHOT_SUFFIX.test(model.slice(id.length)))) return limit;
  }
  return undefined;
}
