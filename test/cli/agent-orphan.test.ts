import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../src/config/index.js';
import { BIN } from '../support/cli.js';
import { buildIfStale } from '../support/fresh-build.js';
import { isGone, waitUntil } from '../support/processes.js';
import { writeRunningState } from '../support/running-state.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

let project: TempProject;
let agentPid: number | undefined;

beforeAll(() => buildIfStale(['src/cli', 'src/team']));
afterEach(async () => {
  // A failed case must not leave the stopped agent behind.
  if (agentPid !== undefined && !isGone(agentPid)) process.kill(agentPid, 'SIGKILL');
  agentPid = undefined;
  await project.cleanup();
});

// A supervisor stand-in: starts an agent with an IPC channel, stops it before it can run any of its code,
// prints its pid, and dies at once. The agent is continued only once its parent is gone.
const PARENT = `
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
const [bin, out, err] = process.argv.slice(1);
const child = spawn(process.execPath, [bin, 'agent', '--id', 'backend-dev'], {
  stdio: ['ignore', openSync(out, 'w'), openSync(err, 'w'), 'ipc'],
});
process.kill(child.pid, 'SIGSTOP');
process.stdout.write(String(child.pid), () => process.kill(process.pid, 'SIGKILL'));
`;

describe('agent process whose supervisor died while it was starting', () => {
  it('does not join the run and exits quietly, instead of failing on the closed channel or working for nobody', async () => {
    project = await tempProject();
    const config = loadTeamConfig({ cwd: project.dir });
    const store = await writeRunningState({ config, runId: 'orphan', feature: 'Orphaned agent' });
    const out = project.path('agent.out');
    const err = project.path('agent.err');

    const parent = spawn(process.execPath, ['--input-type=module', '-e', PARENT, BIN, out, err], {
      cwd: project.dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    parent.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      printed += chunk;
    });
    const ended = await new Promise<NodeJS.Signals | null>((resolve) => parent.on('close', (_code, signal) => resolve(signal)));
    expect(ended).toBe('SIGKILL');
    agentPid = Number(printed);
    expect(agentPid).toBeGreaterThan(0);

    const pid = agentPid;
    process.kill(pid, 'SIGCONT');
    await waitUntil(() => isGone(pid), 'the orphaned agent process is gone');

    expect(await readFile(err, 'utf8')).toBe('');
    expect(await readFile(out, 'utf8')).toBe('backend-dev: interrupted (the process that started it is gone)\n');
    const state = await store.read();
    expect(state.agents['backend-dev']?.pid).toBeNull();
    const ledger = existsSync(config.ledgerFile) ? await readFile(config.ledgerFile, 'utf8') : '';
    expect(ledger).not.toContain('agent-start');
  });
});
