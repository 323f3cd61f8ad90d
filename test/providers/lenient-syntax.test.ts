import { describe, expect, it } from 'vitest';
import { repairJsonSyntax } from '../../src/providers/lenient-syntax.js';

function repaired(text: string): { value: unknown; fixes: string[] } {
  const result = repairJsonSyntax(text);
  if (!result.ok) throw new Error(`expected a repair of ${JSON.stringify(text)}, got: ${result.reason}`);
  return { value: JSON.parse(result.json) as unknown, fixes: result.fixes };
}

describe('repairJsonSyntax', () => {
  it.each([
    ["{'a': 'b'}", { a: 'b' }, ['single quotes']],
    ['{"a": [1, 2,], "b": 3,}', { a: [1, 2], b: 3 }, ['trailing commas']],
    ['{"a": 1, // one\n "b": /* two */ 2 # three\n}', { a: 1, b: 2 }, ['comments']],
    ['{a: 1, b_c: {d$: 2}}', { a: 1, b_c: { d$: 2 } }, ['unquoted keys']],
    ['{"a": True, "b": False, "c": None}', { a: true, b: false, c: null }, ['Python literals']],
    ['{"a": undefined, "b": NaN}', { a: null, b: null }, ['non-JSON literals']],
    ['{\u201ca\u201d: \u2018b\u2019}', { a: 'b' }, ['smart quotes']],
    ['{"a": "line one\nline two\ttab"}', { a: 'line one\nline two\ttab' }, ['line breaks in strings']],
    ['{"a": "Added "login" route"}', { a: 'Added "login" route' }, ['unescaped quotes in strings']],
    ["{'a': 'it\\'s \"quoted\"'}", { a: 'it\'s "quoted"' }, ['single quotes']],
    ["{'a': 'it's done'}", { a: "it's done" }, ['unescaped quotes in strings', 'single quotes']],
    ['{"a": "\\x41"}', { a: 'x41' }, ['invalid escapes']],
    ['{"a": 1\n "b": 2}', { a: 1, b: 2 }, ['missing commas']],
    ['[1,, 2]', [1, 2], ['extra commas']],
    ['{"a": +1, "b": .5, "c": 5.}', { a: 1, b: 0.5, c: 5 }, ['number forms']],
    ['\ufeff{"a":\u00a01}', { a: 1 }, []],
  ])('repairs %j', (text, value, fixes) => {
    const result = repaired(text);
    expect(result.value).toEqual(value);
    expect(result.fixes.sort()).toEqual([...fixes].sort());
  });

  it.each([
    ['{"a": "b', 'a string is left open at the end'],
    ['{"a": [1, 2', 'an object or array is left open at the end'],
    ['{"a": 1 /* note', 'a comment is left open at the end'],
    ['{"a": [1}', 'unexpected "}" at position 8'],
    ['{"a": 1}}', 'unexpected "}" at position 8'],
    ['{"a": 1} {"b": 2}', 'more than one value (position 9)'],
    ['{"a": [...]}', 'is not a number'],
    ['{"a": yes}', 'unexpected word "yes" at position 6'],
    ['{"a": 1; "b": 2}', 'unexpected ";" at position 7'],
    ['', 'no JSON value'],
  ])('refuses %j: %s', (text, reason) => {
    const result = repairJsonSyntax(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });

  it('never closes what a truncated text left open: no proper prefix of an object repairs', () => {
    const texts = [
      "{'tasks': [{'id': 'T1', 'title': 'Sign up', 'dependsOn': [],}, {'id': 'T2', /* later */ 'title': \"it's\"}]}",
      '{passed: True, reasons: ["a \\"b\\"", None], "x": {"y": [1, 2.5, -3e2]}}',
    ];
    for (const text of texts) {
      expect(repairJsonSyntax(text).ok).toBe(true);
      for (let length = 0; length < text.length; length += 1) {
        const prefix = text.slice(0, length);
        expect(repairJsonSyntax(prefix), prefix).toMatchObject({ ok: false });
      }
    }
  });
});
