import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { teamStateSchema } from '../../../src/state/index.js';
import { runTeam } from '../../../src/team/index.js';
import { ensureBuilt, runCli } from '../../support/cli.js';
import { canonicalEvents, readEntries, type Entry } from '../../support/ledger.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { useProcessesTimeout } from '../../support/timeouts.js';

useProcessesTimeout();

const FEATURE = 'Add user authentication with email and password';
const projects: TempProject[] = [];

async function project(): Promise<TempProject> {
  const created = await tempProject();
  projects.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.cleanup()));
});

function sumUsage(entries: readonly Entry[]): { input: number; output: number; cacheRead: number; cacheWrite: number; cost: number } {
  const total = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0 };
  for (const entry of entries) {
    if (entry.type !== 'model-call') continue;
    const usage = entry['usage'] as { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
    total.input += usage.inputTokens;
    total.output += usage.outputTokens;
    total.cacheRead += usage.cacheReadTokens;
    total.cacheWrite += usage.cacheWriteTokens;
    total.cost += entry['costUsd'] as number;
  }
  return total;
}

async function simRun(seed: number): Promise<{ dir: TempProject; result: Awaited<ReturnType<typeof runTeam>>; ledger: Entry[] }> {
  const dir = await project();
  const config = loadTeamConfig({ cwd: dir.dir });
  const result = await runTeam({ config, feature: FEATURE, seed, timeScale: 0 });
  return { dir, result, ledger: await readEntries(result.files.ledger) };
}

describe('a sim run of the default team', () => {
  it('completes: every task done, blockers raised and resolved, summary equal to the ledger', async () => {
    const { result, ledger } = await simRun(1);
    expect(result.status).toBe('done');
    const state = teamStateSchema.parse(JSON.parse(await readFile(result.files.state, 'utf8')));
    expect(state.tasks.length).toBeGreaterThanOrEqual(8);
    expect(state.tasks.every((task) => task.status === 'done')).toBe(true);
    expect(state.blockers.length).toBeGreaterThanOrEqual(1);
    expect(state.blockers.every((blocker) => blocker.status === 'resolved')).toBe(true);
    expect(ledger.filter((entry) => entry.type === 'blocker-raise')).toHaveLength(state.blockers.length);
    expect(ledger.filter((entry) => entry.type === 'blocker-resolve')).toHaveLength(state.blockers.length);
    // Each blocker leaves its question and the manager's answer as messages between the two agents.
    for (const blocker of state.blockers) {
      expect(state.messages).toContainEqual(expect.objectContaining({ from: blocker.raisedBy, to: 'manager', body: blocker.question }));
      expect(state.messages).toContainEqual(expect.objectContaining({ from: 'manager', to: blocker.raisedBy, body: blocker.resolution }));
    }

    const summary = JSON.parse(await readFile(result.files.summary, 'utf8')) as typeof result.summary;
    const sums = sumUsage(ledger);
    expect(summary.tokens.inputTokens).toBe(sums.input);
    expect(summary.tokens.outputTokens).toBe(sums.output);
    expect(summary.tokens.cacheReadTokens).toBe(sums.cacheRead);
    expect(summary.tokens.cacheWriteTokens).toBe(sums.cacheWrite);
    expect(summary.tokens.total).toBe(sums.input + sums.output + sums.cacheRead + sums.cacheWrite);
    expect(summary.costUsd).toBeCloseTo(sums.cost, 12);
    expect(summary.calls).toBe(ledger.filter((entry) => entry.type === 'model-call').length);
    expect(summary.tokens.cacheReadTokens).toBeGreaterThan(0);
    // The state's per-agent spend and the budget agree with the ledger as well.
    const agentCost = Object.values(state.agents).reduce((sum, agent) => sum + agent.costUsd, 0);
    expect(agentCost).toBeCloseTo(sums.cost, 12);
    expect(state.budget.spentUsd).toBeCloseTo(sums.cost, 12);
    expect(state.budget.reservedUsd).toBe(0);
    expect(summary.simulated).toBe(true);

    const report = await readFile(result.files.report, 'utf8');
    expect(report).toContain('simulated');
    for (const task of state.tasks) expect(report).toContain(`| ${task.id} |`);
    // Each agent's transcript holds its requests and responses.
    const transcript = await readFile(`${result.files.agents}/backend-dev.jsonl`, 'utf8');
    expect(transcript.trim().split('\n').length).toBe(summary.byAgent['backend-dev']?.calls);
  });

  it('is deterministic: same seed, same task graph, ledger events and tokens', async () => {
    const first = await simRun(7);
    const second = await simRun(7);
    const graph = async (file: string) =>
      teamStateSchema
        .parse(JSON.parse(await readFile(file, 'utf8')))
        .tasks.map(({ id, role, dependsOn, files, complexity, status, title }) => ({
          id,
          role,
          dependsOn,
          files,
          complexity,
          status,
          title,
        }));
    expect(await graph(second.result.files.state)).toEqual(await graph(first.result.files.state));
    expect(canonicalEvents(second.ledger)).toEqual(canonicalEvents(first.ledger));
    expect(second.result.summary.tokens).toEqual(first.result.summary.tokens);

    const other = await simRun(8);
    expect(other.result.summary.tokens).not.toEqual(first.result.summary.tokens);
  });
});

describe('process mode', () => {
  beforeAll(() => ensureBuilt());

  it('gives the same result as in-process for the same seed', async () => {
    const inProcess = await simRun(3);
    const dir = await project();
    const cli = await runCli(['run', '--feature', FEATURE, '--seed', '3', '--time-scale', '0', '--processes', '--json'], { cwd: dir.dir });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const output = JSON.parse(cli.stdout) as { status: string; files: { ledger: string; state: string } };
    expect(output.status).toBe('done');
    const ledger = await readEntries(output.files.ledger);
    expect(canonicalEvents(ledger)).toEqual(canonicalEvents(inProcess.ledger));
    const pids = new Set(ledger.filter((entry) => entry.type === 'agent-start').map((entry) => entry['pid']));
    expect(pids.size).toBe(4);
  });
});
