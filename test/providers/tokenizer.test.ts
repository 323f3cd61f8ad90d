import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/providers/index.js';
import { boundedPieces, FORCED_CUT_ERROR, isSafeBoundary, SPAN_LIMIT } from '../../src/providers/token-chunks.js';
import { ROOT } from '../support/cli.js';

// The tokenizer itself, counting each text whole: exact, and slow on long pre-tokens.
const encoding = createRequire(import.meta.url)('gpt-tokenizer/cjs/encoding/o200k_base') as {
  countTokens: (text: string, options: { disallowedSpecial: Set<string> }) => number;
};
const exactCount = (text: string): number => encoding.countTokens(text, { disallowedSpecial: new Set() });
const bound = (text: string): number => FORCED_CUT_ERROR * Math.floor(text.length / SPAN_LIMIT);

/** A deterministic pseudo-random source. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

const ATOMS = [' ', '  ', '\t', '\n', '\r\n', '\n\n', '/', '//', '}', '(', ';', '==', '-', '.', "'s", '"', 'foo', 'Bar', 'BAZ', 'é'];
const MORE_ATOMS = ['日本', '🔐', '123', '4567', '\u00a0', '\f', '<|endoftext|>', '#', 'İ', 'a\u0301'];

/** Words, code and prose, with long runs, base64-like lines and digit strings: ~`length` characters. */
function randomText(length: number, next: () => number): string {
  const parts: string[] = [];
  let size = 0;
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/';
  while (size < length) {
    const roll = next();
    let part: string;
    if (roll < 0.0001) part = '='.repeat(1000 + Math.floor(next() * 4000));
    else if (roll < 0.003) part = Array.from({ length: 300 + Math.floor(next() * 1500) }, () => letters[Math.floor(next() * 64)]).join('');
    else if (roll < 0.004) part = String(Math.floor(next() * 1e15)).repeat(40);
    else {
      part = Array.from({ length: 1 + Math.floor(next() * 9) }, () => letters[Math.floor(next() * 26)]).join('');
      part += next() < 0.1 ? '.\n' : next() < 0.1 ? '();\n  ' : ' ';
    }
    parts.push(part);
    size += part.length;
  }
  return parts.join('');
}

describe('countTokens', () => {
  it('gives the counts recorded with js-tiktoken (o200k_base) on real prompts, code and mixed scripts', async () => {
    const fixture = JSON.parse(await readFile(join(ROOT, 'test', 'fixtures', 'token-counts.json'), 'utf8')) as {
      samples: { source: string; text: string; count: number }[];
    };
    expect(fixture.samples.length).toBeGreaterThan(5);
    for (const sample of fixture.samples) {
      expect({ source: sample.source, count: countTokens(sample.text) }).toEqual({ source: sample.source, count: sample.count });
    }
  });

  it('counts a special token in the text as the text it is', () => {
    expect(countTokens('a <|endoftext|> b')).toBe(exactCount('a <|endoftext|> b'));
    expect(countTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('counts as gpt-tokenizer does on short texts of mixed scripts, emoji, marks, lone surrogates and special tokens', () => {
    const next = random(17);
    const atoms = [...ATOMS, ...MORE_ATOMS, '\ud800', '\udfff', 'x\udc00y', '🙂🙃', 'ﬁ', 'Ⅻ', '\u200b', '٣٤', 'straße'];
    for (let round = 0; round < 600; round += 1) {
      const text = Array.from({ length: 1 + Math.floor(next() * 40) }, () => atoms[Math.floor(next() * atoms.length)]).join('');
      expect({ text, count: countTokens(text) }).toEqual({ text, count: exactCount(text) });
    }
  });

  it('finds a pre-token with a byte order mark whole when the vocabulary holds it, as tiktoken does', () => {
    // o200k has "\ufeffusing" as one token (rank 9251); gpt-tokenizer decodes the mark away when it looks bytes up, and makes 3.
    expect(countTokens('\ufeffusing')).toBe(1);
    expect(countTokens('\ufeff\ufeffusing')).toBe(2);
  });

  it('never changes a count by cutting at a safe boundary', () => {
    const next = random(11);
    const atoms = [...ATOMS, ...MORE_ATOMS];
    let checked = 0;
    for (let round = 0; round < 400; round += 1) {
      const text = Array.from({ length: 3 + Math.floor(next() * 30) }, () => atoms[Math.floor(next() * atoms.length)]).join('');
      const whole = exactCount(text);
      for (let index = 1; index < text.length; index += 1) {
        if (!isSafeBoundary(text, index)) continue;
        checked += 1;
        expect({ text, index, count: exactCount(text.slice(0, index)) + exactCount(text.slice(index)) }).toEqual({
          text,
          index,
          count: whole,
        });
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('cuts into pieces that join back into the text', () => {
    const text = randomText(60_000, random(5));
    const pieces = [...boundedPieces(text)];
    expect(pieces.join('')).toBe(text);
    expect(pieces.length).toBeGreaterThan(1);
  });

  it('cuts a long passage two texts share into the same pieces, whatever comes before it', () => {
    const plan = Array.from({ length: 2000 }, (_, index) => `- T${index + 1} (backend_developer) cart: part ${index + 1}`).join('\n');
    const first = [...boundedPieces(`# Request\nWhy is the sky blue?\n\n## The plan\n${plan}`)];
    const second = [...boundedPieces(`# Request\n${'A longer question. '.repeat(37)}\n\n## The plan\n${plan}`)];
    const shared = new Set(first);
    // All but the few pieces before the two texts line up again are the same strings.
    expect(second.filter((piece) => !shared.has(piece)).length).toBeLessThanOrEqual(8);
    expect(second.length).toBeGreaterThan(20);
    expect(countTokens(`x\n${plan}`)).toBe(exactCount(`x\n${plan}`));
  });

  it('counts exactly when no span without a safe boundary reaches the limit', async () => {
    for (const file of ['src/providers/sim.ts', 'prompts/base/manager.md', 'README.md']) {
      const text = await readFile(join(ROOT, file), 'utf8');
      expect({ file, count: countTokens(text) }).toEqual({ file, count: exactCount(text) });
    }
  });

  it('counts 20,000 "=" and 20,000 "x" within the bound of the exact count', () => {
    for (const char of ['=', 'x', ' ', '\n']) {
      const text = char.repeat(20_000);
      expect(Math.abs(countTokens(text) - exactCount(text))).toBeLessThanOrEqual(bound(text));
    }
  });

  it('counts 200,000 "=" and 200,000 "x" (runs the tokenizer alone takes minutes on)', () => {
    const equals = countTokens('='.repeat(200_000));
    const letters = countTokens('x'.repeat(200_000));
    // Ten runs of 20,000 count as ten times one, within the bound of the cuts between them.
    expect(Math.abs(equals - 10 * exactCount('='.repeat(20_000)))).toBeLessThanOrEqual(bound('='.repeat(200_000)));
    expect(Math.abs(letters - 10 * exactCount('x'.repeat(20_000)))).toBeLessThanOrEqual(bound('x'.repeat(200_000)));
  });

  it('counts a 2 MB random-ish text within the bound of the exact count', () => {
    const text = randomText(2_000_000, random(3));
    expect(text.length).toBeGreaterThanOrEqual(2_000_000);
    const count = countTokens(text);
    const exact = exactCount(text);
    expect(Math.abs(count - exact)).toBeLessThanOrEqual(bound(text));
    expect(count).toBeGreaterThan(text.length / 10);
  });
});
