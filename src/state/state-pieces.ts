/**
 * A state validated and written piece by piece: the entries of its large
 * collections (top-level arrays and records of objects, e.g. tasks, blockers,
 * agents) are validated and serialized only when they changed; the small rest
 * is validated every time. The text is the same as `JSON.stringify(state, null, 2)`
 * of the whole validated state, built from the entries' cached texts.
 */
import { z } from 'zod';

/** A top-level collection of the state whose entries are handled one by one. */
interface Collection {
  readonly kind: 'array' | 'record';
  readonly entry: z.ZodType;
}

/** A validated state and its file's bytes (UTF-8 JSON, indented by two, with a final newline). */
export interface SettledState<S> {
  readonly state: S;
  readonly bytes: Buffer;
}

// An entry's indentation inside the file: two levels down (the state object, then its collection).
const ENTRY_INDENT = '    ';
const INDENT = Buffer.from(ENTRY_INDENT);
const BETWEEN = Buffer.from(',\n');

/** Splits a state schema into its collections and the rest; validates and serializes what changed. */
export class StatePieces<S> {
  readonly #schema: z.ZodType<S>;
  readonly #rest: z.ZodType | undefined;
  readonly #collections: ReadonlyMap<string, Collection>;
  readonly #order: readonly string[];
  // The bytes of each entry object of a settled state, indented for its place in the file.
  readonly #texts = new WeakMap<object, Buffer>();

  constructor(schema: z.ZodType<S>) {
    this.#schema = schema;
    const split = splitSchema(schema);
    this.#rest = split?.rest;
    this.#collections = split?.collections ?? new Map();
    this.#order = split?.order ?? [];
  }

  /** True when the schema splits into collections and a rest; else each state is validated and written whole. */
  get splits(): boolean {
    return this.#rest !== undefined;
  }

  /**
   * Validates `value` and gives the state to keep (its unchanged entries are the
   * objects of `previous`, a state this returned before) with its file text, or
   * undefined when `value` does not match the schema (validate the whole to say why).
   * The result shares nothing with `value`: changing `value` later leaves it alone.
   */
  settle(value: unknown, previous: S | undefined): SettledState<S> | undefined {
    if (this.#rest === undefined || !isPlainObject(value)) return this.#settleWhole(value);
    const state = this.#validate(value, previous);
    return state === undefined ? undefined : { state, bytes: this.#bytes(state as Record<string, unknown>) };
  }

  /** Like `settle()` for a state read from the file, whose bytes are known: the state only. */
  adopt(value: unknown, previous: S | undefined): S | undefined {
    if (this.#rest === undefined || !isPlainObject(value)) return this.#settleWhole(value)?.state;
    return this.#validate(value, previous);
  }

  #validate(value: Record<string, unknown>, previous: S | undefined): S | undefined {
    if (this.#rest === undefined) return undefined;
    const restInput: Record<string, unknown> = {};
    for (const key of Object.keys(value)) if (!this.#collections.has(key)) restInput[key] = value[key];
    const rest = this.#rest.safeParse(restInput);
    if (!rest.success || !isPlainObject(rest.data)) return undefined;
    const before = isPlainObject(previous) ? previous : undefined;
    const pieces = new Map<string, unknown>();
    for (const [key, collection] of this.#collections) {
      const settled =
        collection.kind === 'array'
          ? this.#settleArray(value[key], before?.[key], collection.entry)
          : this.#settleRecord(value[key], before?.[key], collection.entry);
      if (settled === undefined) return undefined;
      pieces.set(key, settled);
    }
    // The rest is small: a copy of it shares nothing with `value` even where its schema passes values through.
    const restData = JSON.parse(JSON.stringify(rest.data)) as Record<string, unknown>;
    const state: Record<string, unknown> = {};
    for (const key of this.#order) {
      if (pieces.has(key)) state[key] = pieces.get(key);
      else if (Object.hasOwn(restData, key)) state[key] = restData[key];
    }
    // Keys the rest's schema lets through without declaring them come last, as the whole schema would put them.
    for (const key of Object.keys(restData)) if (!Object.hasOwn(state, key)) state[key] = restData[key];
    // Every entry and collection is frozen already: this walks only the small rest.
    return deepFreeze(state) as S;
  }

  /**
   * After `settle(work, previous)` gave `settled`: makes the entries of `work` that
   * changed copies of their validated form (defaults filled in, unknown keys
   * dropped), so that the next settle of `work` finds them unchanged.
   */
  align(work: S, settled: S, previous: S | undefined): void {
    if (!this.splits || !isPlainObject(work) || !isPlainObject(settled)) return;
    const before: Record<string, unknown> = isPlainObject(previous) ? previous : {};
    // The rest is small: it is copied whole, defaults filled in and unknown keys gone.
    const whole = work as Record<string, unknown>;
    for (const key of Object.keys(whole)) if (!this.#collections.has(key) && !Object.hasOwn(settled, key)) delete whole[key];
    for (const key of Object.keys(settled)) if (!this.#collections.has(key)) whole[key] = structuredClone(settled[key]);
    for (const [key, collection] of this.#collections) {
      const target = work[key];
      const now = settled[key];
      const then = before[key];
      if (collection.kind === 'array') {
        if (!Array.isArray(target) || !Array.isArray(now) || target.length !== now.length) continue;
        const old = Array.isArray(then) ? then : [];
        for (let index = 0; index < now.length; index += 1) {
          if (now[index] !== old[index]) target[index] = structuredClone(now[index]);
        }
      } else if (isPlainObject(target) && isPlainObject(now)) {
        const old = isPlainObject(then) ? then : {};
        for (const name of Object.keys(now)) {
          if (!Object.hasOwn(old, name) || now[name] !== old[name]) target[name] = structuredClone(now[name]);
        }
      }
    }
  }

  #settleWhole(value: unknown): SettledState<S> | undefined {
    const parsed = this.#schema.safeParse(value);
    if (!parsed.success) return undefined;
    const text = `${JSON.stringify(parsed.data, null, 2)}\n`;
    return { state: JSON.parse(text) as S, bytes: Buffer.from(text) };
  }

  #settleArray(value: unknown, previous: unknown, schema: z.ZodType): object[] | undefined {
    if (!Array.isArray(value)) return undefined;
    const before = Array.isArray(previous) ? previous : [];
    const settled: object[] = new Array(value.length);
    for (let index = 0; index < value.length; index += 1) {
      const entry = this.#settleEntry(value[index], before[index], schema);
      if (entry === undefined) return undefined;
      settled[index] = entry;
    }
    return Object.freeze(settled) as object[];
  }

  #settleRecord(value: unknown, previous: unknown, schema: z.ZodType): Record<string, object> | undefined {
    if (!isPlainObject(value)) return undefined;
    const before = isPlainObject(previous) ? previous : {};
    const settled: Record<string, object> = {};
    for (const key of Object.keys(value)) {
      if (value[key] === undefined) continue;
      const entry = this.#settleEntry(value[key], Object.hasOwn(before, key) ? before[key] : undefined, schema);
      if (entry === undefined) return undefined;
      settled[key] = entry;
    }
    return Object.freeze(settled);
  }

  /** The kept entry when unchanged; else the validated entry, as a new object with its text noted. */
  #settleEntry(value: unknown, previous: unknown, schema: z.ZodType): object | undefined {
    if (previous !== undefined && jsonEqual(value, previous)) return deepFreeze(previous as object);
    const parsed = schema.safeParse(value);
    if (!parsed.success || parsed.data === null || typeof parsed.data !== 'object') return undefined;
    const text = JSON.stringify(parsed.data, null, 2);
    // Frozen now, while it is the only one changed: a version is then frozen as a whole at no cost per unchanged entry.
    const entry = deepFreeze(JSON.parse(text) as object);
    this.#texts.set(entry, Buffer.from(text.replaceAll('\n', `\n${ENTRY_INDENT}`)));
    return entry;
  }

  /** `JSON.stringify(state, null, 2)` plus a newline, with each entry's bytes taken from the cache. */
  #bytes(state: Record<string, unknown>): Buffer {
    const parts: Buffer[] = [];
    let first = true;
    for (const [key, value] of Object.entries(state)) {
      if (value === undefined) continue;
      parts.push(Buffer.from(`${first ? '{\n' : ',\n'}  ${JSON.stringify(key)}: `));
      first = false;
      const collection = this.#collections.get(key);
      if (collection === undefined) {
        parts.push(Buffer.from((JSON.stringify(value, null, 2) ?? 'null').replaceAll('\n', '\n  ')));
      } else if (collection.kind === 'array') {
        const entries = value as object[];
        if (entries.length === 0) parts.push(Buffer.from('[]'));
        else {
          parts.push(Buffer.from('[\n'));
          entries.forEach((entry, index) => {
            if (index > 0) parts.push(BETWEEN);
            parts.push(INDENT, this.#entryBytes(entry));
          });
          parts.push(Buffer.from('\n  ]'));
        }
      } else {
        const entries = Object.entries(value as Record<string, object>);
        if (entries.length === 0) parts.push(Buffer.from('{}'));
        else {
          parts.push(Buffer.from('{\n'));
          entries.forEach(([name, entry], index) => {
            parts.push(Buffer.from(`${index > 0 ? ',\n' : ''}${ENTRY_INDENT}${JSON.stringify(name)}: `), this.#entryBytes(entry));
          });
          parts.push(Buffer.from('\n  }'));
        }
      }
    }
    parts.push(Buffer.from(first ? '{}\n' : '\n}\n'));
    return Buffer.concat(parts);
  }

  #entryBytes(entry: object): Buffer {
    const known = this.#texts.get(entry);
    if (known !== undefined) return known;
    const bytes = Buffer.from(JSON.stringify(entry, null, 2).replaceAll('\n', `\n${ENTRY_INDENT}`));
    this.#texts.set(entry, bytes);
    return bytes;
  }
}

/**
 * The collections of an object schema: top-level arrays of objects and records of
 * objects keyed by plain strings. Undefined when the schema is not a plain object
 * schema or has none (then the whole state is validated each time).
 */
function splitSchema(schema: z.ZodType): { rest: z.ZodType; collections: Map<string, Collection>; order: string[] } | undefined {
  if (!(schema instanceof z.ZodObject)) return undefined;
  const collections = new Map<string, Collection>();
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    // A collection with checks of its own (a length, a refinement) is validated with the whole, not here.
    if ((field._zod.def.checks ?? []).length > 0) continue;
    if (field instanceof z.ZodArray && field.element instanceof z.ZodObject) {
      collections.set(key, { kind: 'array', entry: field.element });
    } else if (field instanceof z.ZodRecord && field.keyType instanceof z.ZodString && field.valueType instanceof z.ZodObject) {
      if ((field.keyType._zod.def.checks ?? []).length > 0) continue;
      collections.set(key, { kind: 'record', entry: field.valueType as z.ZodType });
    }
  }
  if (collections.size === 0) return undefined;
  let rest: z.ZodType;
  try {
    rest = schema.omit(Object.fromEntries([...collections.keys()].map((key) => [key, true])) as never);
  } catch {
    // A refined object schema cannot be split: its refinements see the whole.
    return undefined;
  }
  return { rest, collections, order: Object.keys(schema.shape) };
}

/** Freezes a value in depth (a shared version of the state must not change); stops at what is frozen already. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * True when `a` and `b` serialize to the same JSON (keys in any order; undefined
 * members are absent). Runs on every entry of every commit, so it allocates nothing.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let index = 0; index < a.length; index += 1) {
      const value = a[index];
      if (value !== b[index] && (typeof value !== 'object' || !jsonEqual(value, b[index]))) return false;
    }
    return true;
  }
  if (Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  // for-in sees inherited keys too, but JSON data has none: its objects come from JSON.parse, zod and literals.
  let count = 0;
  for (const key in left) {
    const value = left[key];
    if (value === undefined) continue;
    count += 1;
    const other = right[key];
    if (value !== other && (typeof value !== 'object' || !jsonEqual(value, other))) return false;
  }
  for (const key in right) if (right[key] !== undefined) count -= 1;
  return count === 0;
}
