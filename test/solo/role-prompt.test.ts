import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { loadRolePrompt } from '../../src/solo/role-prompt.js';

describe('loadRolePrompt', () => {
  let promptsDir: string;
  beforeEach(async () => {
    promptsDir = await mkdtemp(join(tmpdir(), 'role-prompt-'));
    await mkdir(join(promptsDir, 'roles'));
  });
  afterEach(async () => {
    await rm(promptsDir, { recursive: true, force: true });
  });

  it('reads the role prompt from roles/<role>.md', async () => {
    await writeFile(join(promptsDir, 'roles', 'code.md'), '# Code\nYou write code.\n');
    await expect(loadRolePrompt({ promptsDir, role: 'code' })).resolves.toBe('# Code\nYou write code.');
  });

  it.each([
    ['missing', undefined, 'no such file'],
    ['empty', '  \n', 'an empty file'],
  ])('a %s prompt file is a ConfigError naming the file and what was found', async (_, content, found) => {
    const file = join(promptsDir, 'roles', 'code.md');
    if (content !== undefined) await writeFile(file, content);
    const error = await loadRolePrompt({ promptsDir, role: 'code' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(file);
    expect((error as ConfigError).message).toContain(`expected a prompt file at ${file}, found ${found}`);
    expect((error as ConfigError).message).toContain('prompts/roles/');
  });
});
