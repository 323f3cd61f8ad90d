/** The model tiers and their models. */
export interface TierMap {
  simple: string;
  medium: string;
  complex: string;
}

const ORDER = ['simple', 'medium', 'complex'] as const;

/**
 * Picks a call's model: the role's fixed model, else its tier, else the task's
 * complexity; each failed attempt (`escalation`) moves one tier up, to complex at most.
 */
export function pickModel(input: {
  model?: string | undefined;
  tier: 'simple' | 'medium' | 'complex' | 'auto';
  complexity: 'simple' | 'medium' | 'complex' | null;
  tiers: TierMap;
  escalation?: number | undefined;
}): string {
  if (input.model !== undefined) return input.model;
  const base = input.tier !== 'auto' ? input.tier : (input.complexity ?? 'medium');
  const index = Math.min(ORDER.length - 1, ORDER.indexOf(base) + (input.escalation ?? 0));
  return input.tiers[ORDER[index] as (typeof ORDER)[number]];
}
