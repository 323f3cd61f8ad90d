import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandEnvironment } from '../../src/workspace/run-command.js';
import { executeTool, type ToolResult } from '../../src/workspace/index.js';
import { isGone, waitUntil } from '../support/processes.js';
import { useProcessesTimeout } from '../support/timeouts.js';

// Real git repositories, worktrees and sandboxed processes: slow on a loaded machine; the bound only catches a hang.
useProcessesTimeout();

const NODE = process.execPath;
let root: string;

beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'agent-team-command-')));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function runCommandTool(
  command: string[],
  options: { allowlist?: string[][]; commandTimeoutMs?: number; outputCapBytes?: number } = {},
): Promise<ToolResult> {
  return executeTool({
    worktree: root,
    call: { id: 'call-1', name: 'run_command', input: { command } },
    allowlist: options.allowlist ?? [[NODE, '-e']],
    sandbox: 'bwrap',
    commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
    outputCapBytes: options.outputCapBytes ?? 50_000,
  });
}

describe('run_command', () => {
  it('refuses commands outside the allowlist, running nothing', async () => {
    const marker = join(root, 'ran');
    const allowlist = [
      ['npm', 'test'],
      ['node', '--test'],
    ];
    const script = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x')`;

    for (const command of [[NODE, '-e', script], ['npm'], ['npm', 'install'], ['node', '-e', script], ['rm', '-rf', '.']]) {
      const result = await runCommandTool(command, { allowlist });
      expect(result.isError).toBe(true);
      expect(result.content).toBe(
        `Command refused: "${command.join(' ')}" does not start with an allowed prefix. Allowed: npm test; node --test.`,
      );
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('runs an allowed command without a shell, in the worktree, reporting its exit code and output', async () => {
    const ok = await runCommandTool([NODE, '-e', 'console.log(process.cwd()); console.error(process.argv[1])', '$HOME; echo pwned']);
    expect(ok).toEqual({
      content: `$ ${NODE} -e console.log(process.cwd()); console.error(process.argv[1]) $HOME; echo pwned\nexit code 0\n${root}\n$HOME; echo pwned\n`,
      isError: false,
    });

    const failed = await runCommandTool([NODE, '-e', 'console.log("2 tests failed"); process.exit(3)']);
    expect(failed.isError).toBe(true);
    expect(failed.content).toMatch(/\nexit code 3\n2 tests failed\n$/);

    const missing = await runCommandTool(['no-such-program-for-agent-team'], { allowlist: [['no-such-program-for-agent-team']] });
    expect(missing).toMatchObject({ isError: true, content: expect.stringContaining('could not start no-such-program-for-agent-team') });
  });

  it('kills a command that runs past its timeout together with its child, sandbox and all', async () => {
    const marker = `agent-team-timeout-${process.pid}-${Date.now()}`;
    // The child ignores SIGTERM; it says it runs by a file in the worktree, the only place it can write.
    const child = `/* ${marker} */ process.on('SIGTERM', () => {}); require('node:fs').writeFileSync('child-started', ''); setInterval(() => {}, 1000);`;
    const parent = [
      `/* ${marker} */ const { spawn } = require('node:child_process');`,
      `spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'ignore' });`,
      `console.log('started'); setInterval(() => {}, 1000);`,
    ].join('\n');

    const result = await runCommandTool([NODE, '-e', parent], { commandTimeoutMs: 1_000 });

    expect(result.isError).toBe(true);
    expect(result.content).toContain('timed out after 1000 ms; killed with its child processes\nstarted\n');
    expect(existsSync(join(root, 'child-started'))).toBe(true);
    // Inside the sandbox process ids are its own: find ours by what they run.
    await waitUntil(() => processesRunning(marker).length === 0, 'the command and its child are gone');
  });

  it('kills a sandboxed command and its children when the agent is stopped', async () => {
    const marker = `agent-team-abort-${process.pid}-${Date.now()}`;
    const child = `/* ${marker} */ process.on('SIGTERM', () => {}); require('node:fs').writeFileSync('child-started', ''); setInterval(() => {}, 1000);`;
    const parent = `/* ${marker} */ require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'ignore' }); setInterval(() => {}, 1000);`;
    const stop = new AbortController();

    const running = executeTool({
      worktree: root,
      call: { id: 'call-1', name: 'run_command', input: { command: [NODE, '-e', parent] } },
      allowlist: [[NODE, '-e']],
      sandbox: 'bwrap',
      commandTimeoutMs: 600_000,
      outputCapBytes: 50_000,
      signal: stop.signal,
    });
    await waitUntil(() => existsSync(join(root, 'child-started')), 'the child runs');
    // The command and its child, besides bwrap's own two processes.
    expect(processesRunning(marker).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'bwrap')).toHaveLength(2);
    stop.abort();
    const result = await running;

    expect(result.isError).toBe(true);
    await waitUntil(() => processesRunning(marker).length === 0, 'the command and its child are gone');
  });

  it('caps the output, keeping its start and its end', async () => {
    // One stream: the order of chunks across stdout and stderr is up to the pipes.
    const script = `process.stdout.write('a'.repeat(100000)); process.stdout.write('b'.repeat(100000)); console.log('THE END');`;
    const result = await runCommandTool([NODE, '-e', script], { outputCapBytes: 4_000 });

    expect(result.isError).toBe(false);
    expect(Buffer.byteLength(result.content)).toBeLessThanOrEqual(4_000);
    expect(result.content).toMatch(/^\$ .*\nexit code 0\na+\n\[… \d+ bytes of output omitted …\]\nb+THE END\n$/s);
  });

  it('hides secrets of our environment from the commands agents run', () => {
    const env = commandEnvironment({ PATH: '/bin', ANTHROPIC_API_KEY: 'sk-ant', GITHUB_TOKEN: 'ghp', DB_PASSWORD: 'pw', HOME: '/home/me' });
    expect(env).toEqual({ PATH: '/bin', HOME: '/home/me', NO_COLOR: '1', FORCE_COLOR: '0' });
  });
});

/** Live processes (zombies count as gone) whose command line holds `marker`. */
function processesRunning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) && !isGone(pid);
      } catch {
        return false;
      }
    });
}
