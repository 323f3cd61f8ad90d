import { z } from 'zod';
import { agentsConfigSchema } from './agents-config.js';
import { orchestratorConfigSchema } from './orchestrator-config.js';

/** The config files a JSON Schema can be printed for. */
export type SchemaTarget = 'orchestrator' | 'agents';

/** JSON Schema for editors, generated from the same zod schema the loader uses. */
export function configJsonSchema(target: SchemaTarget): Record<string, unknown> {
  const schema = target === 'orchestrator' ? orchestratorConfigSchema : agentsConfigSchema;
  return z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}
