import { z } from 'zod';
import { providerNameSchema } from './providers-config.js';

/** Model tier names; the manager tags each task with one. */
export const tierSchema = z.enum(['simple', 'medium', 'complex']);

/** Model for each tier. */
const tierMapSchema = z.object({ simple: z.string().min(1), medium: z.string().min(1), complex: z.string().min(1) }).strict();

/** One role in `.ai-agents/config.yml`. */
export const roleConfigSchema = z
  .object({
    base: z.string().min(1).describe('Base prompt, relative to the prompts directory (e.g. base/software-developer.md).'),
    platforms: z
      .array(z.string().min(1))
      .default([])
      .describe('Platform prompts appended in order (e.g. platforms/web/backend-developer.md).'),
    provider: providerNameSchema.optional().describe("Provider of this role (default: the run's provider)."),
    model: z.string().min(1).optional().describe('Fixed model for this role; when absent the tier picks it.'),
    tier: z
      .enum(['simple', 'medium', 'complex', 'auto'])
      .default('auto')
      .describe("Model tier when no model is set; auto follows each task's complexity."),
    max_tokens: z.number().int().positive().default(8000).describe('Most output tokens per call.'),
    tiers: tierMapSchema.optional().describe('Model per tier for this role (e.g. GPT models for an openai role).'),
  })
  .strict();

/** `.ai-agents/config.yml`: prompts and models per role. */
export const agentsConfigSchema = z
  .object({
    tiers: z
      .object({
        simple: z.string().default('claude-haiku-4-5'),
        medium: z.string().default('claude-sonnet-5'),
        complex: z.string().default('claude-opus-4-5'),
      })
      .strict()
      .prefault({})
      .describe('Model for each tier.'),
    agents: z.record(z.string().regex(/^[a-z0-9_-]+$/, 'role keys are lowercase'), roleConfigSchema),
  })
  .strict();

/** Parsed `.ai-agents/config.yml`. */
export type AgentsConfig = z.infer<typeof agentsConfigSchema>;
/** One parsed role. */
export type RoleConfig = z.infer<typeof roleConfigSchema>;
/** A tier name. */
export type Tier = z.infer<typeof tierSchema>;

/** The model a role uses when tasks do not decide it (auto tier: the medium model). */
export function pickModelForRole(role: RoleConfig, tiers: AgentsConfig['tiers']): string {
  if (role.model !== undefined) return role.model;
  return role.tier === 'auto' ? `${tiers.medium} (auto: by task complexity)` : tiers[role.tier];
}
