import { describe, expect, it } from 'vitest';
import { countTokens, tokenCountBound } from '../../src/providers/index.js';

/** A deterministic pseudo-random source. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

// Characters of 1, 2, 3 and 4 UTF-8 bytes, digits, whitespace, punctuation, a lone surrogate and special-token text.
const ALPHABET = ['a', 'Z', '7', ' ', '\n', '\t', '=', '{', '"', 'é', 'ß', 'Ж', '中', '語', 'ﬁ', '😀', '𝔸', '\uD800', '<|endoftext|>'];

function mixedText(next: () => number, length: number): string {
  let text = '';
  while (text.length < length) {
    const pick = ALPHABET[Math.floor(next() * ALPHABET.length)] ?? 'a';
    text += pick.repeat(next() < 0.05 ? 1 + Math.floor(next() * 600) : 1);
  }
  return text;
}

describe('tokenCountBound', () => {
  it('is the UTF-8 length of the text', () => {
    expect(tokenCountBound('')).toBe(0);
    expect(tokenCountBound('abc')).toBe(3);
    expect(tokenCountBound('é中😀')).toBe(2 + 3 + 4);
  });

  it('is never below countTokens, whatever the text holds', () => {
    const next = random(11);
    const texts = [
      'The parser reads every field of the record and writes the result to disk.',
      'function add(a: number, b: number): number {\n  return a + b;\n}\n',
      '='.repeat(20_000),
      ' '.repeat(5_000),
      '0123456789'.repeat(500),
      '中文分词需要更多的字节'.repeat(300),
      '😀🎉𝔸'.repeat(400),
      '<|endoftext|><|im_start|>system'.repeat(50),
      '\uD800\uDFFF\uDC00'.repeat(100),
      ...Array.from({ length: 40 }, () => mixedText(next, 1 + Math.floor(next() * 4000))),
    ];
    for (const text of texts) expect(countTokens(text), JSON.stringify(text.slice(0, 40))).toBeLessThanOrEqual(tokenCountBound(text));
  });
});
