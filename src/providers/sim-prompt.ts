import { SeededRandom, hashParts } from './seeded-random.js';
import type { LlmRequest } from './types.js';

type Schema = Record<string, unknown>;

/** A small value that satisfies a JSON Schema's common keywords, deterministic for a seed. */
export function exampleOf(schema: Schema, random: SeededRandom, depth = 0): unknown {
  if (depth > 8) return null;
  if ('const' in schema) return schema['const'];
  const choices = (schema['oneOf'] ?? schema['anyOf']) as Schema[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) return exampleOf(choices[0] as Schema, random, depth + 1);
  const enumeration = schema['enum'] as unknown[] | undefined;
  if (Array.isArray(enumeration) && enumeration.length > 0) return enumeration[0];
  const type = Array.isArray(schema['type']) ? (schema['type'] as string[])[0] : (schema['type'] as string | undefined);
  switch (type) {
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      const required = (schema['required'] ?? Object.keys(properties)) as string[];
      return Object.fromEntries(
        required.filter((key) => key in properties).map((key) => [key, exampleOf(properties[key] as Schema, random, depth + 1)]),
      );
    }
    case 'array': {
      const minimum = typeof schema['minItems'] === 'number' ? (schema['minItems'] as number) : 1;
      return Array.from({ length: Math.max(1, minimum) }, () => exampleOf((schema['items'] ?? {}) as Schema, random, depth + 1));
    }
    case 'integer':
      return Math.max(typeof schema['minimum'] === 'number' ? (schema['minimum'] as number) : 0, random.int(0, 100));
    case 'number':
      return typeof schema['minimum'] === 'number' ? (schema['minimum'] as number) : Math.round(random.next() * 1000) / 10;
    case 'boolean':
      return random.next() < 0.5;
    case 'null':
      return null;
    case 'string': {
      const minimum = typeof schema['minLength'] === 'number' ? (schema['minLength'] as number) : 0;
      return `sim-${hashParts(depth, random.next()).toString(36)}`.padEnd(minimum, 'x');
    }
    default:
      return `sim-${hashParts(depth, random.next()).toString(36)}`;
  }
}

/**
 * The sim's answer to a free-form prompt (a batch job): a schema-shaped JSON value
 * when the request asks for one, else a short deterministic text naming the prompt.
 */
export function simulatePrompt(request: LlmRequest, seed: number): string {
  const prompt = request.messages.map((message) => message.content).join('\n');
  const random = SeededRandom.for(seed, 'prompt', request.model, prompt);
  if (request.responseJsonSchema !== undefined) return JSON.stringify(exampleOf(request.responseJsonSchema, random));
  const line = prompt.trim().split('\n')[0] ?? '';
  return `Simulated answer (${request.model}) to: ${line.length > 80 ? `${line.slice(0, 79)}…` : line}`;
}
