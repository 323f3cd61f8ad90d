/**
 * The sandbox around agents' commands, with the real bwrap and real processes: writes land
 * only in the worktree and a private /tmp, the network is out of reach, other processes are
 * out of sight; without a working bwrap commands are refused unless the sandbox is turned off.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SandboxMode, executeTool, probeSandbox, type ToolResult } from '../../src/workspace/index.js';
import { emptyRepo, type TempRepository } from '../support/sample-repo.js';

const NODE = process.execPath;
let root: string;
let worktree: string;
let outside: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'agent-team-sandbox-')));
  worktree = join(root, 'worktree');
  outside = join(root, 'outside');
  await mkdir(worktree);
  await mkdir(outside);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

function tool(
  name: string,
  input: object,
  options: { sandbox?: SandboxMode; cwd?: string; allowlist?: string[][] } = {},
): Promise<ToolResult> {
  return executeTool({
    worktree: options.cwd ?? worktree,
    call: { id: 'call-1', name, input },
    allowlist: options.allowlist ?? [
      [NODE, '-e'],
      ['npm', 'test'],
      ['git', 'status'],
    ],
    sandbox: options.sandbox ?? 'bwrap',
    commandTimeoutMs: 60_000,
    outputCapBytes: 50_000,
  });
}

function node(script: string, options: { sandbox?: SandboxMode; cwd?: string } = {}): Promise<ToolResult> {
  return tool('run_command', { command: [NODE, '-e', script] }, options);
}

/** A directory holding only the programs named, linked from where they are now: a PATH without bwrap. */
async function pathWith(programs: Record<string, string>): Promise<string> {
  const dir = join(root, `bin-${Object.keys(programs).join('-') || 'empty'}`);
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(programs)) {
    await writeFile(join(dir, name), content);
    await chmod(join(dir, name), 0o755);
  }
  return dir;
}

describe('commands in the sandbox', () => {
  it("an agent's package.json whose test writes outside the worktree: npm test fails and nothing is written", async () => {
    const escaped = join(outside, 'escaped.txt');
    const elsewhere = join(await realpath(await mkdtemp(join('/var/tmp', 'agent-team-sandbox-'))), 'escaped.txt');
    try {
      const script = `const fs = require('node:fs');\nfor (const f of ${JSON.stringify([escaped, elsewhere])}) {\n  try { fs.writeFileSync(f, 'pwned'); } catch (e) { console.log(e.code); process.exitCode = 1; }\n}\n`;
      const packageJson = JSON.stringify({ name: 'agent-project', version: '1.0.0', scripts: { test: 'node escape.js' } });
      expect(await tool('write_file', { path: 'escape.js', content: script })).toMatchObject({ isError: false });
      expect(await tool('write_file', { path: 'package.json', content: packageJson })).toMatchObject({ isError: false });

      const result = await tool('run_command', { command: ['npm', 'test'] });

      expect(result.isError).toBe(true);
      expect(result.content).toMatch(/^\$ npm test\nexit code 1\n/);
      // The test's temp dir is hidden behind the private /tmp; the rest of the disk is read-only.
      expect(result.content).toContain('ENOENT');
      expect(result.content).toContain('EROFS');
      expect(existsSync(escaped)).toBe(false);
      expect(existsSync(elsewhere)).toBe(false);
    } finally {
      await rm(join(elsewhere, '..'), { recursive: true, force: true });
    }
  });

  it('writes inside the worktree and the private /tmp, which is its home and temp dir and gone afterwards', async () => {
    // A name of this test alone: the host's /tmp must not have it afterwards.
    const scratch = `/tmp/${basename(root)}-scratch`;
    const script = [
      `const fs = require('node:fs');`,
      `fs.mkdirSync('build/out', { recursive: true }); fs.writeFileSync('build/out/result.txt', 'built');`,
      `fs.mkdirSync('${scratch}'); fs.writeFileSync('${scratch}/note', 'temp'); console.log(fs.readFileSync('${scratch}/note', 'utf8'));`,
      `console.log(process.env.HOME, process.env.TMPDIR, require('node:os').tmpdir());`,
    ].join('\n');
    const result = await node(script);

    expect(result).toEqual({ content: `$ ${NODE} -e ${script}\nexit code 0\ntemp\n/tmp /tmp /tmp\n`, isError: false });
    expect(await readFile(join(worktree, 'build/out/result.txt'), 'utf8')).toBe('built');
    expect(existsSync(scratch)).toBe(false);
  });

  it('refuses the network: a loopback server of ours is out of reach', async () => {
    const connections: number[] = [];
    const server: Server = createServer((socket) => {
      connections.push(1);
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const script = `require('node:net').connect(${port}, '127.0.0.1').on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(3); });`;
    try {
      const confined = await node(script);
      expect(confined.isError).toBe(true);
      expect(confined.content).toMatch(/\nexit code 3\nECONNREFUSED\n$/);
      expect(connections).toEqual([]);

      // The same command unconfined reaches the server: the refusal above is the sandbox's.
      const open = await node(script, { sandbox: 'off' });
      expect(open).toMatchObject({ isError: false, content: expect.stringMatching(/\nexit code 0\nconnected\n$/) });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('shows the command none of our processes, and keeps .git read-only while git status still works', async () => {
    const repo: TempRepository = await emptyRepo('agent-team-sandbox-repo-');
    try {
      await writeFile(join(repo.dir, 'tracked.txt'), 'one\n');
      await repo.git('add', 'tracked.txt');
      await repo.git('commit', '--quiet', '-m', 'Add tracked.txt');
      const linked = join(repo.dir, '.worktrees', 'task');
      await repo.git('worktree', 'add', '--quiet', '-b', 'task', linked);
      await writeFile(join(linked, 'tracked.txt'), 'two\n');

      const status = await tool('run_command', { command: ['git', 'status', '--short'] }, { cwd: linked });
      expect(status).toEqual({ content: '$ git status --short\nexit code 0\n M tracked.txt\n', isError: false });

      const script = [
        `const fs = require('node:fs');`,
        `console.log(fs.existsSync('/proc/${process.pid}') ? 'sees the parent' : 'alone');`,
        `for (const f of ['.git', ${JSON.stringify(join(repo.dir, '.git', 'HEAD'))}]) { try { fs.appendFileSync(f, 'x'); console.log('wrote', f); } catch (e) { console.log(e.code); } }`,
      ].join('\n');
      const probe = await node(script, { cwd: linked });
      expect(probe.content).toMatch(/\nexit code 0\nalone\nEROFS\nEROFS\n$/);
      expect(await repo.git('-C', linked, 'status', '--short')).toBe('M tracked.txt');
    } finally {
      await repo.cleanup();
    }
  });
});

describe('without a sandbox', () => {
  it('refuses run_command when bwrap is not on PATH, saying why and how to opt out, and runs nothing', async () => {
    vi.stubEnv('PATH', await pathWith({}));
    const marker = join(outside, 'ran');

    const result = await node(`require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`);

    expect(result).toEqual({
      isError: true,
      content:
        'Command refused: commands run in a sandbox, and none is available: bwrap (bubblewrap) is not on PATH. ' +
        'Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or set "workspace.sandbox": "off" in orchestrator-config.json to run commands unconfined.',
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses run_command when bwrap cannot create namespaces, asking bwrap only once', async () => {
    const calls = join(root, 'bwrap-calls');
    const fakeBwrap = `#!/bin/sh\necho called >> ${calls}\necho 'bwrap: No permissions to create a new namespace' >&2\nexit 1\n`;
    const path = await pathWith({ bwrap: fakeBwrap });
    vi.stubEnv('PATH', path);

    const first = await node('console.log(1)');
    const second = await node('console.log(2)');

    for (const result of [first, second]) {
      expect(result.isError).toBe(true);
      expect(result.content).toContain(
        `none is available: ${join(path, 'bwrap')} cannot create the sandbox's namespaces (bwrap: No permissions to create a new namespace).`,
      );
      expect(result.content).toContain('"workspace.sandbox": "off"');
    }
    expect(readFileSync(calls, 'utf8')).toBe('called\n');
    expect(probeSandbox(path)).toBe(probeSandbox(path));
  });

  it('with the sandbox off, runs commands unconfined: they can write anywhere the user can', async () => {
    vi.stubEnv('PATH', await pathWith({}));
    const written = join(outside, 'written.txt');

    const result = await node(`require('node:fs').writeFileSync(${JSON.stringify(written)}, 'unconfined')`, { sandbox: 'off' });

    expect(result).toMatchObject({ isError: false, content: expect.stringContaining('exit code 0') });
    expect(await readFile(written, 'utf8')).toBe('unconfined');
  });
});
