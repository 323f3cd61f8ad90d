/**
 * One agent runs in one process: a second `agent-team agent --id` for an agent whose process is alive
 * is refused (exit 6, naming that process) and leaves the first one's tasks and state alone; a
 * `worker` for it stands by and takes the agent over once that process is gone. Real processes, a
 * real SIGKILL.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../src/config/index.js';
import type { TeamState } from '../../src/state/index.js';
import { type CliProcess, runCli, startCli } from '../support/cli.js';
import { buildIfStale } from '../support/fresh-build.js';
import { isGone } from '../support/processes.js';
import { writeRunningState } from '../support/running-state.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

const AGENT = 'backend-dev';
let project: TempProject | undefined;
const started: CliProcess[] = [];

beforeAll(() => buildIfStale(['src/cli', 'src/team']));
afterEach(async () => {
  for (const child of started.splice(0)) if (!isGone(child.pid)) child.kill('SIGKILL');
  await project?.cleanup();
});

/** Reads the state until `test` holds; the bound only catches a hang. */
async function stateWhere(read: () => Promise<TeamState>, test: (state: TeamState) => boolean, what: string): Promise<TeamState> {
  const deadline = Date.now() + 50_000;
  for (;;) {
    const state = await read();
    if (test(state)) return state;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}: ${JSON.stringify(state.agents[AGENT])}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('an agent served by a live process', () => {
  it('refuses a second agent process with exit 6 and lets a worker stand by until the first is gone', async () => {
    project = await tempProject('agent-team-served-once-');
    const config = loadTeamConfig({ cwd: project.dir });
    const store = await writeRunningState({ config, runId: 'once', feature: 'One agent, one process' });
    const read = (): Promise<TeamState> => store.read();

    const first = startCli(['agent', '--id', AGENT], { cwd: project.dir });
    started.push(first);
    await stateWhere(read, (state) => state.agents[AGENT]?.pid === first.pid, 'the first agent process serves the agent');

    const second = await runCli(['agent', '--id', AGENT], { cwd: project.dir });
    expect(second.code, second.stderr).toBe(6);
    expect(second.stderr).toContain(`Agent ${AGENT} is already served by pid ${first.pid}`);
    expect(second.stderr).toContain('serve other agents (agent-team worker --agents …), or stop that process');
    const after = await read();
    expect(after.agents[AGENT]?.pid).toBe(first.pid);
    expect(after.agents[AGENT]?.status).not.toBe('stopped');

    const worker = startCli(['worker', '--agents', AGENT], { cwd: project.dir });
    started.push(worker);
    await worker.waitForOutput(new RegExp(`worker: ${AGENT} is served by pid ${first.pid} .*standing by to take it over`));
    // Still the first one's while it lives.
    expect((await read()).agents[AGENT]?.pid).toBe(first.pid);

    first.kill('SIGKILL');
    await first.done;
    await stateWhere(read, (state) => state.agents[AGENT]?.pid === worker.pid, 'the worker took the agent over');
    const ledger = await readLedgerStarts(config.ledgerFile);
    expect(ledger).toEqual([first.pid, worker.pid]);

    worker.kill('SIGINT');
    const ended = await worker.done;
    expect(ended.code, ended.stderr).toBe(130);
    await store.close();
  });
});

/** The pids of the ledger's agent-start events, in order. */
async function readLedgerStarts(file: string): Promise<number[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type: string; pid?: number })
    .filter((event) => event.type === 'agent-start')
    .map((event) => event.pid as number);
}
