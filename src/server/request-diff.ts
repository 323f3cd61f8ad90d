/** Which fields of two submissions of the same task differ: the 409 of a repeated task_id names them. */

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) flatten(item, path === '' ? key : `${path}.${key}`, out);
    return;
  }
  if (value !== undefined) out.set(path, JSON.stringify(value));
}

/** Dot paths whose values differ between `before` and `after` (present in one only counts), sorted. */
export function differingFields(before: unknown, after: unknown): string[] {
  const left = new Map<string, string>();
  const right = new Map<string, string>();
  flatten(before, '', left);
  flatten(after, '', right);
  const paths = new Set([...left.keys(), ...right.keys()]);
  return [...paths].filter((path) => left.get(path) !== right.get(path)).sort();
}
