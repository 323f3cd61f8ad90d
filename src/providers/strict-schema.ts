/**
 * JSON Schemas in the subset OpenAI's strict mode accepts (`strict: true` on a function
 * tool or a response format): every property required, an optional one made nullable,
 * `additionalProperties: false` on every object, `anyOf` for `oneOf`, string lengths as a
 * `pattern`, and no keywords strict mode refuses (`default`, `minLength`, `maxLength`). The answer comes back with `null`
 * where an optional property was left out; `withoutAddedNulls` removes those again, so
 * our own validation sees what it saw before.
 */

type Schema = Record<string, unknown>;

// Keywords strict mode refuses with a 400; the validation on our side still applies them.
const DROPPED = new Set(['$schema', 'default', 'minLength', 'maxLength', 'title']);
// Keywords with no strict equivalent: a schema that uses them is sent as it is, strict: false.
const UNSUPPORTED = ['patternProperties', 'propertyNames', 'allOf', 'not', 'if', 'then', 'else', 'dependentSchemas'];

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nullable(schema: Schema): Schema {
  const type = schema['type'];
  if (typeof type === 'string' && type !== 'null' && !('anyOf' in schema)) {
    const enumValues = schema['enum'];
    return { ...schema, type: [type, 'null'], ...(Array.isArray(enumValues) ? { enum: [...enumValues, null] } : {}) };
  }
  if (Array.isArray(type)) return type.includes('null') ? schema : { ...schema, type: [...type, 'null'] };
  if (Array.isArray(schema['anyOf'])) {
    const branches = schema['anyOf'] as unknown[];
    return branches.some((branch) => isSchema(branch) && branch['type'] === 'null')
      ? schema
      : { ...schema, anyOf: [...branches, { type: 'null' }] };
  }
  return { anyOf: [schema, { type: 'null' }] };
}

// String lengths as a pattern, which strict mode enforces (it refuses minLength and maxLength); an own pattern wins.
function lengthPattern(node: Schema): string | undefined {
  const min = node['minLength'];
  const max = node['maxLength'];
  if (typeof node['pattern'] === 'string' || (typeof min !== 'number' && typeof max !== 'number')) return undefined;
  return `^[\\s\\S]{${typeof min === 'number' ? min : 0},${typeof max === 'number' ? max : ''}}$`;
}

function strictNode(node: unknown): Schema | undefined {
  if (!isSchema(node)) return undefined;
  if (UNSUPPORTED.some((key) => key in node)) return undefined;
  const additional = node['additionalProperties'];
  if (additional !== undefined && additional !== false) return undefined;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    if (key === 'properties' || key === '$defs' || key === 'definitions') {
      if (!isSchema(value)) return undefined;
      const mapped: Schema = {};
      for (const [name, child] of Object.entries(value)) {
        const strict = strictNode(child);
        if (strict === undefined) return undefined;
        mapped[name] = strict;
      }
      out[key] = mapped;
    } else if (key === 'items') {
      const strict = strictNode(value);
      if (strict === undefined) return undefined;
      out[key] = strict;
    } else if (key === 'anyOf' || key === 'oneOf') {
      if (!Array.isArray(value)) return undefined;
      const branches: Schema[] = [];
      for (const branch of value) {
        const strict = strictNode(branch);
        if (strict === undefined) return undefined;
        branches.push(strict);
      }
      // Strict mode knows anyOf only; branches told apart by a `const` discriminator are the same either way.
      out['anyOf'] = branches;
    } else {
      out[key] = value;
    }
  }
  const lengths = lengthPattern(node);
  if (lengths !== undefined) out['pattern'] = lengths;
  if (isSchema(out['properties'])) {
    const properties = out['properties'];
    const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
    for (const name of Object.keys(properties)) {
      if (!required.has(name)) properties[name] = nullable(properties[name] as Schema);
    }
    out['required'] = Object.keys(properties);
    out['additionalProperties'] = false;
  } else if (out['type'] === 'object') {
    out['properties'] = {};
    out['required'] = [];
    out['additionalProperties'] = false;
  }
  return out;
}

/** The strict form of an object schema, or undefined when strict mode cannot say it (then send it as it is, non-strict). */
export function strictJsonSchema(schema: Schema): Schema | undefined {
  // Asked for on every call with the same (shaped once) answer schemas: converted once each.
  if (!strictForms.has(schema)) strictForms.set(schema, strictNode(schema) ?? null);
  return strictForms.get(schema) ?? undefined;
}

const strictForms = new WeakMap<Schema, Schema | null>();

function resolve(schema: Schema, root: Schema): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return schema;
  let target: unknown = root;
  for (const part of ref.slice(2).split('/')) target = isSchema(target) ? target[part] : undefined;
  return isSchema(target) ? target : schema;
}

// The union branch a value belongs to: the one whose `const` properties it matches, else whose properties hold all its keys.
function branchOf(branches: readonly unknown[], value: Schema, root: Schema): Schema | undefined {
  const objects = branches.filter(isSchema).map((branch) => resolve(branch, root));
  const byConst = objects.find((branch) => {
    const properties = isSchema(branch['properties']) ? branch['properties'] : {};
    const consts = Object.entries(properties).filter(([, child]) => isSchema(child) && 'const' in child);
    return consts.length > 0 && consts.every(([name, child]) => value[name] === (child as Schema)['const']);
  });
  return (
    byConst ??
    objects.find((branch) => isSchema(branch['properties']) && Object.keys(value).every((key) => key in (branch['properties'] as Schema)))
  );
}

function strip(value: unknown, schemaNode: unknown, root: Schema): unknown {
  if (!isSchema(schemaNode)) return value;
  const schema = resolve(schemaNode, root);
  if (Array.isArray(value)) return isSchema(schema['items']) ? value.map((item) => strip(item, schema['items'], root)) : value;
  if (!isSchema(value)) return value;
  const union = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(union)) {
    const branch = branchOf(union, value, root);
    return branch === undefined ? value : strip(value, branch, root);
  }
  const properties = schema['properties'];
  if (!isSchema(properties)) return value;
  const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as string[]) : []);
  const out: Schema = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === null && !required.has(key)) continue;
    out[key] = strip(child, properties[key], root);
  }
  return out;
}

/** The answer to a strict schema without the nulls strict mode put where `schema` (the original) lets a property be absent. */
export function withoutAddedNulls(value: unknown, schema: Schema): unknown {
  return strip(value, schema, schema);
}
