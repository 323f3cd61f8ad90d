import { describe, expect, it } from 'vitest';
import { scanAnswer } from '../../src/providers/lenient-scan.js';

function texts(text: string, limit = 32): { fences: string[]; spans: string[]; openAtEnd: string | undefined } {
  const scan = scanAnswer(text, limit);
  return {
    fences: scan.fences.map((place) => text.slice(place.start, place.end)),
    spans: scan.spans.map((place) => text.slice(place.start, place.end)),
    openAtEnd: scan.openAtEnd === undefined ? undefined : text.slice(scan.openAtEnd),
  };
}

describe('scanAnswer', () => {
  it('finds ``` and ~~~ fences in order, with or without a language, inline or on their own lines', () => {
    const text = 'A ~~~\n[1]\n~~~ then ```json\n{"a": 1}\n``` and ```{"b": 2}``` and ````js\n{"c": 3}\n````';
    expect(texts(text).fences).toEqual(['[1]', '{"a": 1}', '{"b": 2}', '{"c": 3}']);
  });

  it('lets an unclosed fence run to the end', () => {
    expect(texts('Plan:\n```json\n{"tasks": [').fences).toEqual(['{"tasks": [']);
  });

  it('finds balanced top-level spans, not first "{" to last "}", respecting strings, escapes and comments', () => {
    const text =
      'I\'d say {"a": "a } brace", "b": "an \\" escaped quote {"} then {\'c\': \'it\'s\', // a } in a comment\n "d": [1]} and [2, {"e": 3}].';
    expect(texts(text).spans).toEqual([
      '{"a": "a } brace", "b": "an \\" escaped quote {"}',
      "{'c': 'it's', // a } in a comment\n \"d\": [1]}",
      '[2, {"e": 3}]',
    ]);
  });

  it('says where a JSON-looking span is left open at the end, and ignores one that reads as prose', () => {
    expect(texts('{"a": 1} and then {"tasks": [{"id": "T1"').openAtEnd).toBe('{"tasks": [{"id": "T1"');
    expect(texts('Here: {"summary": "cut inside a string').openAtEnd).toBe('{"summary": "cut inside a string');
    expect(texts('Here: {tasks: [').openAtEnd).toBe('{tasks: [');
    expect(texts('Here: {').openAtEnd).toBe('{');
    expect(texts('{"a": 1}\nAsk me if you want {more').openAtEnd).toBeUndefined();
    expect(texts('{"a": 1}').openAtEnd).toBeUndefined();
  });

  it('stops after `limit` spans and fences', () => {
    const text = '{} ```[1]``` '.repeat(100);
    const scan = scanAnswer(text, 5);
    expect(scan.spans).toHaveLength(5);
    expect(scan.fences).toHaveLength(5);
  });
});
