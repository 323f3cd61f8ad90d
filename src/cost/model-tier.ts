/** The model tiers and their models. */
export interface TierMap {
  simple: string;
  medium: string;
  complex: string;
}

/** Picks a call's model: the role's fixed model, else its tier, else the task's complexity. */
export function pickModel(input: {
  model?: string | undefined;
  tier: 'simple' | 'medium' | 'complex' | 'auto';
  complexity: 'simple' | 'medium' | 'complex' | null;
  tiers: TierMap;
}): string {
  if (input.model !== undefined) return input.model;
  if (input.tier !== 'auto') return input.tiers[input.tier];
  return input.tiers[input.complexity ?? 'medium'];
}
