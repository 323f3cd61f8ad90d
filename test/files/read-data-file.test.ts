import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DataFileError } from '../../src/errors/index.js';
import { parseDataText, readDataFile, safeParseJsonLine } from '../../src/files/index.js';
import { findJsonSyntaxError } from '../../src/files/json-syntax.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'agent-team-read-data-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const configSchema = z
  .object({
    name: z.string(),
    agents: z.array(z.object({ id: z.string(), max_tasks: z.number().int().min(1) }).strict()),
  })
  .strict();

function caught(run: () => unknown): DataFileError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataFileError);
    return error as DataFileError;
  }
  throw new TypeError('expected a DataFileError, nothing was thrown');
}

describe('JSON syntax errors', () => {
  it('name the file, the line and the column, and say what was expected and found', () => {
    const error = caught(() => parseDataText({ text: '{\n  "agents": [,]\n}\n', where: 'team.json' }));
    expect(error.syntax).toEqual({ line: 2, column: 14, detail: expect.stringMatching(/^expected a value .*, found ","$/) });
    expect(error.issues).toEqual([{ path: '', line: 2, column: 14, message: expect.stringMatching(/^invalid JSON: expected a value/) }]);
    expect(error.message).toMatch(/^team\.json is invalid:\n {2}- line 2, column 14: invalid JSON: expected a value/);
    expect(error.problem).toMatch(/^invalid JSON at line 2, column 14: expected a value/);
    expect(error.code).toBe('data_invalid');
  });

  it.each([
    { text: '{"a": 1', line: 1, column: 8, detail: 'expected "," or "}" after a property value, found the end of the text' },
    { text: '{\n  "a": 1,\n}', line: 3, column: 1, detail: 'expected a property name in double quotes, found "}"' },
    { text: '[1, 2]\nx', line: 2, column: 1, detail: 'expected the end of the text after the JSON value, found "x"' },
    { text: '{"a" 1}', line: 1, column: 6, detail: 'expected ":" after the property name, found "1"' },
    {
      text: '{"a": "x\ny"}',
      line: 1,
      column: 9,
      detail: expect.stringMatching(/^expected no control character inside a string .*found the character U\+000A$/),
    },
    { text: '"\\q"', line: 1, column: 3, detail: expect.stringMatching(/^expected an escape .*found "q"$/) },
    { text: '', line: 1, column: 1, detail: expect.stringMatching(/^expected a value .*found the end of the text$/) },
    { text: '\ufeff{}', line: 1, column: 1, detail: expect.stringMatching(/found the character U\+FEFF$/) },
  ])('locates $text at $line:$column', ({ text, line, column, detail }) => {
    expect(caught(() => parseDataText({ text, where: 'x.json' })).syntax).toEqual({ line, column, detail });
  });

  it('finds nothing wrong in valid JSON, however deep', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    for (const text of [deep, ' {"a": [1, -2.5e+3, true, false, null, "\\u00e9\\n"], "b": {}} ', '0']) {
      expect(findJsonSyntaxError(text)).toBeUndefined();
    }
  });

  it('numbers a JSONL line as its line in the file', () => {
    const result = safeParseJsonLine({ text: '{"type": "x", }', file: 'run_ledger.jsonl', line: 7 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.file).toBe('run_ledger.jsonl line 7');
    expect(result.error.syntax).toMatchObject({ line: 7, column: 15 });
  });
});

describe('YAML syntax errors', () => {
  it('name the file, the line and the column', () => {
    const error = caught(() => parseDataText({ text: 'agents:\n  x: [1, 2\n', where: 'config.yml' }));
    expect(error.format).toBe('yaml');
    expect(error.syntax).toMatchObject({ line: 3, column: 1 });
    expect(error.message).toMatch(/^config\.yml is invalid:\n {2}- line 3, column 1: invalid YAML: Flow sequence/);
  });

  it('parses valid YAML, then validates it', () => {
    const value = parseDataText({ text: 'name: t\nagents:\n  - id: a\n    max_tasks: 2\n', where: 'c.yaml', schema: configSchema });
    expect(value).toEqual({ name: 't', agents: [{ id: 'a', max_tasks: 2 }] });
  });
});

describe('schema errors', () => {
  it('give the dot path, what was expected and what was found', () => {
    const text = JSON.stringify({
      name: 't',
      agents: [
        { id: 'a', max_tasks: 1 },
        { id: 'b', max_tasks: 'two' },
      ],
    });
    const error = caught(() => parseDataText({ text, where: 'team.json', schema: configSchema }));
    expect(error.syntax).toBeUndefined();
    expect(error.issues).toEqual([{ path: 'agents.1.max_tasks', message: expect.stringMatching(/expected number.*received string/) }]);
    expect(error.message).toMatch(/^team\.json is invalid:\n {2}- agents\.1\.max_tasks: /);
  });

  it('name the allowed keys for an unknown one', () => {
    const text = JSON.stringify({ name: 't', agents: [{ id: 'a', max_tasks: 1, colour: 'red' }] });
    const error = caught(() => parseDataText({ text, where: 'team.json', schema: configSchema }));
    expect(error.issues[0]).toEqual({
      path: 'agents.0',
      message: 'unknown key "colour"; expected only id, max_tasks (check the spelling)',
    });
  });

  it('say what was found when the message does not', () => {
    const error = caught(() =>
      parseDataText({ text: '{"name": "", "agents": []}', where: 'a.json', schema: configSchema.extend({ name: z.string().min(1) }) }),
    );
    expect(error.issues[0]?.message).toMatch(/\(found ""\)$/);
  });
});

describe('readDataFile', () => {
  it('reads and validates a file, and is undefined for a missing one', async () => {
    const file = join(directory, 'team.json');
    await writeFile(file, '{"name": "t", "agents": []}\n');
    expect(await readDataFile({ file, schema: configSchema })).toEqual({ name: 't', agents: [] });
    expect(await readDataFile({ file: join(directory, 'missing.json') })).toBeUndefined();
  });

  it('rejects with the file named', async () => {
    const file = join(directory, 'team.json');
    await writeFile(file, '{"name": "t",\n "agents": []\n');
    await expect(readDataFile({ file })).rejects.toThrow(`${file} is invalid:\n  - line 3, column 1: invalid JSON`);
  });
});
