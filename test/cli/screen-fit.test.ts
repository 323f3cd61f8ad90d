import { describe, expect, it } from 'vitest';
import { frameLines } from '../../src/cli/screen-frame.js';
import { fitWidth } from '../../src/cli/fit-width.js';
import { bufferTerminal, colorWanted } from '../../src/cli/terminal.js';

describe('colorWanted', () => {
  it('follows FORCE_COLOR when set, else colours a TTY unless NO_COLOR or TERM=dumb', () => {
    expect(colorWanted({}, true)).toBe(true);
    expect(colorWanted({}, false)).toBe(false);
    expect(colorWanted({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorWanted({ NO_COLOR: '' }, true)).toBe(true);
    expect(colorWanted({ TERM: 'dumb' }, true)).toBe(false);
    expect(colorWanted({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorWanted({ FORCE_COLOR: '', NO_COLOR: '1' }, false)).toBe(true);
    expect(colorWanted({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colorWanted({ FORCE_COLOR: 'false' }, true)).toBe(false);
  });
});

describe('fitWidth', () => {
  it('cuts to the cells given, counting wide characters as two and keeping colour codes', () => {
    expect(fitWidth('abcdef', 4)).toBe('abc…');
    expect(fitWidth('abc', 4)).toBe('abc');
    expect(fitWidth('日本語のテキスト', 7)).toBe('日本語…');
    expect(fitWidth('\u001b[1mabcdef\u001b[22m', 4)).toBe('\u001b[1mabc…\u001b[22m');
  });
});

describe('frameLines', () => {
  const terminal = bufferTerminal();
  it('keeps the footer on the last row and says how many body lines did not fit', () => {
    const body = Array.from({ length: 30 }, (_, index) => `line ${index + 1}`);
    const lines = frameLines({ terminal, body, footer: 'footer', columns: 60, rows: 10 });
    expect(lines).toHaveLength(10);
    expect(lines.slice(0, 8)).toEqual(body.slice(0, 8));
    expect(lines[8]).toBe('… 22 more lines: a taller window shows them');
    expect(lines[9]).toBe('footer');
  });

  it('cuts ordinary lines one cell short of the width and wraps commands whole', () => {
    const command = '  agent-team spawn <role> <dir> "<task>" --project shop';
    const lines = frameLines({ terminal, body: ['x'.repeat(50), command], footer: 'f', columns: 30, rows: 10 });
    expect(lines[0]).toBe(`${'x'.repeat(28)}…`);
    expect(
      lines
        .slice(1, -1)
        .map((line) => line.trim())
        .join(''),
    ).toBe(command.trim());
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(29);
  });
});
