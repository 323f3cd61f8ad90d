/**
 * What a grammar-constrained model may legally answer, at its most careless: the
 * minimal value a JSON Schema allows, taking the first branch of every union and the
 * first value of every enum, an optional property left out, an array at its minimum
 * length, a string at its minimum length. A schema that lets such an answer through
 * when the call wanted something else is one a grammar cannot hold to its purpose.
 */

type Schema = Record<string, unknown>;

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolve(schema: Schema, root: Schema): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) target = isSchema(target) ? target[part] : undefined;
  if (!isSchema(target)) throw new Error(`unresolved $ref ${ref}`);
  return target;
}

function minimalString(schema: Schema): string {
  const length = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
  const pattern = typeof schema['pattern'] === 'string' ? new RegExp(schema['pattern']) : undefined;
  // The shortest string the pattern and length allow, from a few candidates a grammar would reach first.
  for (const candidate of ['', 'a', 'a'.repeat(Math.max(1, length))]) {
    if (candidate.length >= length && (pattern === undefined || pattern.test(candidate))) return candidate;
  }
  throw new Error(`no minimal string for ${JSON.stringify(schema)}`);
}

function minimal(node: Schema, root: Schema): unknown {
  const schema = resolve(node, root);
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum'])) return schema['enum'][0];
  const union = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(union)) {
    const first = union[0];
    if (!isSchema(first)) throw new Error('an empty union');
    return minimal(first, root);
  }
  const type = Array.isArray(schema['type']) ? schema['type'][0] : schema['type'];
  switch (type) {
    case 'object': {
      const properties = isSchema(schema['properties']) ? schema['properties'] : {};
      const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
      const out: Record<string, unknown> = {};
      for (const name of required) out[name] = minimal(properties[name] as Schema, root);
      return out;
    }
    case 'array': {
      const count = typeof schema['minItems'] === 'number' ? schema['minItems'] : 0;
      return Array.from({ length: count }, () => minimal(schema['items'] as Schema, root));
    }
    case 'string':
      return minimalString(schema);
    case 'integer':
    case 'number':
      return typeof schema['minimum'] === 'number' ? schema['minimum'] : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      // No type at all: any value; the smallest is an empty object.
      return {};
  }
}

/** The minimal value `schema` allows (first union branch, first enum value, required properties only). */
export function grammarAnswer(schema: Record<string, unknown>): unknown {
  return minimal(schema, schema);
}
