import { mkdir, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { readInputFile, readInputFileSync, readRegularFileSync } from '../../src/files/index.js';
import { makeFifo, type TestFifo } from '../support/fifo.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject;
let fifo: TestFifo;

beforeEach(async () => {
  project = await tempProject('agent-team-read-input-');
  fifo = makeFifo(project.path('pipe'));
});

afterEach(async () => {
  fifo.close();
  await project.cleanup();
});

describe('readInputFile', () => {
  it('reads a regular file', async () => {
    const file = project.path('tasks.json');
    await writeFile(file, '[]\n');
    expect(await readInputFile({ file, what: 'the tasks file' })).toBe('[]\n');
    expect(readInputFileSync({ file, what: 'the tasks file' })).toBe('[]\n');
  });

  it.each([
    ['a FIFO', () => fifo.path, 'a FIFO (named pipe)'],
    ['a directory', () => project.path('dir'), 'a directory'],
    ['a device', () => '/dev/zero', 'a device'],
  ])('refuses %s at once, both ways, with a ConfigError naming it', async (_name, path, found) => {
    await mkdir(project.path('dir'), { recursive: true });
    const file = path();
    const message = `expected the tasks file to be a regular file, found ${found}`;
    await expect(readInputFile({ file, what: 'the tasks file' })).rejects.toThrow(message);
    expect(() => readInputFileSync({ file, what: 'the tasks file' })).toThrow(ConfigError);
    expect(() => readInputFileSync({ file, what: 'the tasks file' })).toThrow(file);
    expect(readRegularFileSync(file)).toEqual({ ok: false, found });
  });

  it('still says a missing file is missing', async () => {
    await expect(readInputFile({ file: project.path('none.json'), what: 'the tasks file' })).rejects.toThrow('the tasks file not found');
  });
});
