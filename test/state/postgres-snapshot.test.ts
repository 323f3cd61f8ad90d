import { describe, expect, it } from 'vitest';
import { sameJson } from '../../src/state/postgres-snapshot.js';

describe('sameJson (how an update finds the entries it changed)', () => {
  it('agrees with comparing JSON texts, up to key order', () => {
    const cases: [unknown, unknown][] = [
      [
        { a: 1, b: [1, { c: null }] },
        { b: [1, { c: null }], a: 1 },
      ],
      [{ a: 1, b: undefined }, { a: 1 }],
      [{ a: 1 }, { a: 1, b: null }],
      [
        [1, 2],
        [2, 1],
      ],
      [{ a: [] }, { a: {} }],
      [{ a: '1' }, { a: 1 }],
      [{ a: { b: { c: 'deep' } } }, { a: { b: { c: 'deeper' } } }],
      [null, {}],
    ];
    const canonical = (value: unknown): string =>
      JSON.stringify(value, (_key, item: unknown) =>
        item !== null && typeof item === 'object' && !Array.isArray(item)
          ? Object.fromEntries(Object.entries(item).sort(([left], [right]) => left.localeCompare(right)))
          : item,
      );
    for (const [left, right] of cases) {
      expect(sameJson(left, right), `${JSON.stringify(left)} vs ${JSON.stringify(right)}`).toBe(canonical(left) === canonical(right));
      expect(sameJson(right, left)).toBe(sameJson(left, right));
    }
  });
});
