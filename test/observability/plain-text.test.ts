import { describe, expect, it } from 'vitest';
import { jsonText, plainStrings, plainText } from '../../src/observability/index.js';
import { CONTROL_BYTES, hostile } from '../support/control-bytes.js';

describe('plainText', () => {
  const cases: [string, string, string][] = [
    ['clear screen and home', 'a\u001b[2J\u001b[Hb', 'ab'],
    ['colours and cursor moves with parameters', '\u001b[1;31mred\u001b[0m \u001b[?25lhidden cursor\u001b[10A', 'red hidden cursor'],
    ['a window title ended by BEL', 'x\u001b]0;pwned\u0007y', 'xy'],
    ['a hyperlink ended by ST', '\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\', 'link'],
    ['an unterminated OSC swallows the rest', 'ok\u001b]0;title', 'ok'],
    ['8-bit CSI and OSC', 'a\u009b2Jb\u009d0;t\u009cc', 'abc'],
    ['device control strings', 'a\u001bPq#0;2;0;0;0\u001b\\b', 'ab'],
    ['two-byte escapes (reset, charset)', 'a\u001bcb\u001b(0c', 'abc'],
    ['BEL, backspace, carriage return, vertical tab, DEL, NUL', 'a\u0007b\bc\rd\u000be\u007ff\u0000g', 'abcdefg'],
    ['other C1 controls', 'a\u0085b\u008ec', 'abc'],
    ['a lone ESC at the end', 'abc\u001b', 'abc'],
  ];
  it.each(cases)('removes %s', (_name, input, expected) => {
    expect(plainText(input)).toBe(expected);
    expect(plainText(input)).not.toMatch(CONTROL_BYTES);
  });

  it('leaves the visible words of hostile model text', () => {
    expect(plainText(hostile('Which database?'))).toBe('Which database?!');
  });

  it('keeps newlines, tabs and every printable character, Unicode included', () => {
    const text = 'Line one\n\tindented — “quoted” ✓ 日本語 €5 [x] ]0; ^_^';
    expect(plainText(text)).toBe(text);
  });

  it('plainStrings cleans every string of a nested value and leaves the rest as it is', () => {
    const value = { a: 'x\u001b[2Jy', n: 3, none: null, list: ['\u0007bell', { deep: '\u001b]0;t\u0007ok' }], flag: true };
    expect(plainStrings(value)).toEqual({ a: 'xy', n: 3, none: null, list: ['bell', { deep: 'ok' }], flag: true });
    expect(value.a).toBe('x\u001b[2Jy');
  });
});

describe('jsonText', () => {
  it('escapes DEL and C1 controls as well as C0, and parses back to the same value', () => {
    const value = { text: 'a\u009b2Jb\u001b[0m\u0085c\u007f', list: ['\u0007'] };
    const text = jsonText(value, 2);
    expect(text).not.toMatch(CONTROL_BYTES);
    expect(text).toContain('\\u009b');
    expect(JSON.parse(text)).toEqual(value);
  });
});
