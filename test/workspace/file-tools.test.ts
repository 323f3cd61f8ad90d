import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeTool, workspaceToolSpecs, type ToolResult } from '../../src/workspace/index.js';

let base: string;
let root: string;
let secret: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'agent-team-tools-')));
  root = join(base, 'work');
  secret = join(base, 'outside', 'secret.txt');
  await mkdir(join(root, 'src', 'lib'), { recursive: true });
  await mkdir(join(root, '.git'));
  await mkdir(join(base, 'outside'));
  await writeFile(secret, 'TOP SECRET\n');
  await writeFile(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(join(root, 'README.md'), '# Demo\nSee src/math.js\n');
  await writeFile(join(root, 'src', 'math.js'), 'export function add(a, b) {\n  return a + b;\n}\n');
  await writeFile(join(root, 'src', 'lib', 'util.js'), 'export const twice = (x) => add(x, x);\n');
  await symlink('../outside', join(root, 'out-dir'));
  await symlink(secret, join(root, 'out-file'));
  await symlink('src/math.js', join(root, 'in-file'));
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function run(
  name: string,
  input: unknown,
  options: { allowlist?: string[][]; commandTimeoutMs?: number; outputCapBytes?: number } = {},
): Promise<ToolResult> {
  return executeTool({
    worktree: root,
    call: { id: 'call-1', name, input },
    allowlist: options.allowlist ?? [],
    sandbox: 'bwrap',
    commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
    outputCapBytes: options.outputCapBytes ?? 50_000,
  });
}

describe('path safety of every file tool', () => {
  const escapes = (): string[] => [
    '../outside/secret.txt',
    secret,
    '/etc/passwd',
    'a/../../x',
    'out-file',
    'out-dir/secret.txt',
    'out-dir',
  ];
  const calls: [string, (path: string) => unknown][] = [
    ['read_file', (path) => ({ path })],
    ['write_file', (path) => ({ path, content: 'owned' })],
    ['edit_file', (path) => ({ path, old: 'TOP', new: 'OWNED' })],
    ['list_files', (path) => ({ path })],
    ['search', (path) => ({ query: 'SECRET', path })],
  ];

  for (const [tool, input] of calls) {
    it(`${tool} refuses paths that escape the worktree`, async () => {
      for (const path of escapes()) {
        const result = await run(tool, input(path));
        expect(result.isError, `${tool} ${path}`).toBe(true);
        expect(result.content, `${tool} ${path}`).toMatch(/^path escapes the worktree: /);
        expect(result.content).not.toContain('TOP SECRET');
      }
      expect(readFileSync(secret, 'utf8')).toBe('TOP SECRET\n');
      expect(existsSync(join(base, 'outside', 'owned'))).toBe(false);
    });
  }

  it('never reads through an escaping link when listing or searching the whole worktree', async () => {
    const search = await run('search', { query: 'SECRET' });
    expect(search).toEqual({ content: 'No matches for "SECRET".', isError: false });
    const list = await run('list_files', {});
    expect(list.content.split('\n')).toEqual([
      'in-file (symbolic link)',
      'out-dir (symbolic link)',
      'out-file (symbolic link)',
      'README.md',
      'src/lib/util.js',
      'src/math.js',
    ]);
  });

  it('allows a symbolic link that points inside', async () => {
    expect(await run('read_file', { path: 'in-file' })).toEqual({
      content: 'export function add(a, b) {\n  return a + b;\n}\n',
      isError: false,
    });
    expect((await run('edit_file', { path: 'in-file', old: 'a + b', new: 'b + a' })).isError).toBe(false);
    expect(await readFile(join(root, 'src', 'math.js'), 'utf8')).toContain('return b + a;');
  });

  it('refuses to touch .git', async () => {
    const result = await run('write_file', { path: '.git/HEAD', content: 'ref: refs/heads/evil\n' });
    expect(result).toMatchObject({ isError: true, content: expect.stringContaining('is inside .git') });
  });
});

describe('file tools', () => {
  it('reads files and says when a large one was cut', async () => {
    await writeFile(join(root, 'big.txt'), 'x'.repeat(5_000));
    const result = await run('read_file', { path: 'big.txt' }, { outputCapBytes: 1_000 });
    expect(result.isError).toBe(false);
    expect(result.content).toMatch(/^x{700}\n\[truncated: big.txt is 5000 bytes, only the first 700 are shown/);
    expect(Buffer.byteLength(result.content)).toBeLessThanOrEqual(1_000);
    expect(await run('read_file', { path: 'missing.txt' })).toEqual({
      content: 'missing.txt does not exist. Use list_files to see what does.',
      isError: true,
    });
    expect((await run('read_file', { path: 'src' })).content).toContain('src is a directory');
  });

  it('writes files, creating parent directories inside the worktree', async () => {
    expect(await run('write_file', { path: 'src/new/deep/file.js', content: 'export {};\n' })).toEqual({
      content: 'Created src/new/deep/file.js (11 bytes).',
      isError: false,
    });
    expect(await readFile(join(root, 'src', 'new', 'deep', 'file.js'), 'utf8')).toBe('export {};\n');
    expect((await run('write_file', { path: 'README.md', content: 'new' })).content).toBe('Replaced README.md (3 bytes).');
  });

  it('edits exactly one occurrence, and explains 0 or several', async () => {
    await writeFile(join(root, 'twice.txt'), 'alpha beta alpha\n');
    expect(await run('edit_file', { path: 'twice.txt', old: 'gamma', new: 'delta' })).toEqual({
      content:
        'The old text was not found in twice.txt (0 occurrences). Copy it exactly from read_file, whitespace and line breaks included.',
      isError: true,
    });
    const several = await run('edit_file', { path: 'twice.txt', old: 'alpha', new: 'omega' });
    expect(several).toMatchObject({
      isError: true,
      content: expect.stringContaining('occurs 2 times in twice.txt; it must occur exactly once'),
    });
    expect(await readFile(join(root, 'twice.txt'), 'utf8')).toBe('alpha beta alpha\n');

    await writeFile(join(root, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    expect(await run('edit_file', { path: 'latin1.txt', old: 'caf', new: 'CAF' })).toEqual({
      content: 'latin1.txt is not a UTF-8 text file; edit_file leaves it untouched.',
      isError: true,
    });

    expect(await run('edit_file', { path: 'twice.txt', old: 'alpha beta', new: "$& costs $1 and $'" })).toEqual({
      content: 'Edited twice.txt: replaced 1 occurrence.',
      isError: false,
    });
    expect(await readFile(join(root, 'twice.txt'), 'utf8')).toBe("$& costs $1 and $' alpha\n");
  });

  it('lists files recursively, skipping .git, filtered by a glob', async () => {
    expect((await run('list_files', { pattern: '*.js' })).content).toBe('src/lib/util.js\nsrc/math.js');
    expect((await run('list_files', { path: 'src', pattern: 'src/*.js' })).content).toBe('src/math.js');
    expect((await run('list_files', { pattern: '**/lib/*.js' })).content).toBe('src/lib/util.js');
    expect((await run('list_files', { pattern: '*.py' })).content).toBe('No files found.');
  });

  it('searches plain text and answers file:line: text', async () => {
    expect(await run('search', { query: 'add(' })).toEqual({
      content: 'src/lib/util.js:1: export const twice = (x) => add(x, x);\nsrc/math.js:1: export function add(a, b) {',
      isError: false,
    });
    expect((await run('search', { query: 'math.js', path: 'README.md' })).content).toBe('README.md:2: See src/math.js');
  });

  it('validates input with a message naming the field', async () => {
    expect(await run('read_file', {})).toEqual({ content: expect.stringMatching(/^Invalid input for read_file: path: /), isError: true });
    expect((await run('write_file', { path: 'a.txt', content: 5 })).content).toMatch(/^Invalid input for write_file: content: /);
    expect((await run('edit_file', { path: 'a.txt', old: '', new: 'x' })).content).toMatch(/^Invalid input for edit_file: old: /);
    expect((await run('run_command', { command: [] }, { allowlist: [['npm', 'test']] })).content).toMatch(
      /^Invalid input for run_command: command: /,
    );
    expect(await run('delete_everything', {})).toMatchObject({
      isError: true,
      content: expect.stringContaining('Unknown tool "delete_everything"'),
    });
    expect((await run('read_file', '{"path":"README.md"}')).content).toBe('# Demo\nSee src/math.js\n');
  });

  it('throws on settings that are a programming error', async () => {
    await expect(run('run_command', { command: ['ls'] }, { allowlist: [[]] })).rejects.toMatchObject({
      code: 'workspace_invalid_allowlist',
    });
  });

  it('offers run_command only when some command is allowed', () => {
    expect(workspaceToolSpecs({ allowlist: [], sandbox: 'bwrap' }).map((spec) => spec.name)).toEqual([
      'read_file',
      'write_file',
      'edit_file',
      'list_files',
      'search',
    ]);
    const specs = workspaceToolSpecs({ allowlist: [['npm', 'test']], sandbox: 'bwrap' });
    const command = specs.find((spec) => spec.name === 'run_command');
    expect(command?.description).toContain('Allowed: npm test. Commands can write only inside the worktree and /tmp, and have no network.');
    const unconfined = workspaceToolSpecs({ allowlist: [['npm', 'test']], sandbox: 'off' }).find((spec) => spec.name === 'run_command');
    expect(unconfined?.description.endsWith('Allowed: npm test.')).toBe(true);
    expect(specs.find((spec) => spec.name === 'edit_file')?.inputSchema).toMatchObject({
      type: 'object',
      required: ['path', 'old', 'new'],
    });
  });
});
