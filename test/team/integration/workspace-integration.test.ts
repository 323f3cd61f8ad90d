/**
 * What happens between "an agent says done" and "its code is on the integration
 * branch": gates, merges with the tests, conflicts, timeouts. Real git in temp
 * repositories; the sim provider, with some of its answers replaced per test.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import type { TeamConfig } from '../../../src/config/index.js';
import { createSimProvider, type LlmProvider, type LlmRequest, type LlmResponse } from '../../../src/providers/index.js';
import { runTeam, type RunTeamResult } from '../../../src/team/index.js';
import { readWorktreeStatus } from '../../../src/workspace/index.js';
import { readEntries, type Entry } from '../../support/ledger.js';
import { sampleRepo, type TempRepository } from '../../support/sample-repo.js';
import { captureTimers } from '../../support/captured-timers.js';
import type { TempProject } from '../../support/temp-project.js';
import { writeWorkspaceConfig } from '../../support/workspace-config.js';

let repo: TempRepository | undefined;
let settings: TempProject | undefined;
afterEach(async () => {
  await repo?.cleanup();
  await settings?.cleanup();
  repo = undefined;
  settings = undefined;
});

// Longer than any test runs: only the test fires it.
const TASK_TIMEOUT_SECONDS = 3600;

const ROSTER = [
  { id: 'manager', role: 'team_manager', max_concurrent_tasks: 10 },
  { id: 'backend-dev', role: 'backend_developer' },
  { id: 'frontend-dev', role: 'frontend_developer' },
  { id: 'qa-tester', role: 'qa_tester' },
];

async function configFor(extra: { coordination?: object; workspace?: object; provider?: object } = {}): Promise<TeamConfig> {
  if (repo === undefined) throw new Error('no repository');
  const written = await writeWorkspaceConfig(repo, { ...extra, agents: ROSTER, provider: { blocker_rate: 0, ...extra.provider } });
  settings = written.settings;
  return written.config;
}

interface PlanTask {
  id: string;
  role: string;
  files: string[];
  dependsOn?: string[];
}

function planText(tasks: readonly PlanTask[]): string {
  return JSON.stringify({
    tasks: tasks.map((task) => ({
      id: task.id,
      title: `Part ${task.id}`,
      description: `Implement part ${task.id}.`,
      role: task.role,
      dependsOn: task.dependsOn ?? [],
      files: task.files,
      complexity: 'simple',
      acceptanceCriteria: [`${task.id} works`],
    })),
  });
}

/**
 * The sim, with the plan fixed and any answer replaced by `override` (return undefined to keep the sim's);
 * `scenario` sets the sim's knobs, as the provider registry does from the run's options.
 */
function simWith(
  plan: readonly PlanTask[],
  override: (request: LlmRequest, answer: LlmResponse, signal?: AbortSignal) => Promise<LlmResponse | undefined> | LlmResponse | undefined,
  scenario: { gateFailureRate?: number } = {},
): LlmProvider {
  const sim = createSimProvider({ seed: 1, timeScale: 0, ...scenario });
  return {
    name: 'sim',
    simulated: true,
    async complete(request, signal) {
      const answer = await sim.complete(request, signal);
      if (request.metadata.purpose === 'plan') return { ...answer, text: planText(plan) };
      return (await override(request, answer, signal)) ?? answer;
    },
  };
}

function writeFileCall(id: string, path: string, content: string): { id: string; name: string; input: unknown } {
  return { id, name: 'write_file', input: { path, content } };
}

async function ledgerOf(result: RunTeamResult): Promise<Entry[]> {
  return readEntries(result.files.ledger);
}

async function stateOf(config: TeamConfig): Promise<{
  tasks: {
    id: string;
    status: string;
    failure: string | null;
    gates: { name: string; passed: boolean; round: number }[];
    wip: string | null;
    branch: string | null;
    merge: string | null;
  }[];
}> {
  return JSON.parse(await readFile(config.stateFile, 'utf8')) as never;
}

describe('gates', () => {
  it('a failing gate blocks the merge and sends the task back once with its reasons; a second failure fails it', async () => {
    repo = await sampleRepo();
    const config = await configFor();
    const plan = [
      { id: 'T1', role: 'backend_developer', files: ['src/api.js'] },
      { id: 'T2', role: 'frontend_developer', files: ['src/ui.js'], dependsOn: ['T1'] },
      { id: 'T3', role: 'qa_tester', files: ['src/checks.js'] },
    ];
    const provider = simWith(plan, (request, answer) => {
      if (request.metadata.purpose !== 'gate' || request.metadata.taskId !== 'T1') return undefined;
      const gate = (request.metadata.context as { gate: string }).gate;
      if (gate !== 'security') return undefined;
      return {
        ...answer,
        text: JSON.stringify({ passed: false, reasons: ['src/api.js: the handler trusts the user id from the query string'] }),
      };
    });
    const result = await runTeam({ config, feature: 'Gated feature', providerInstance: provider, workspace: repo.dir });
    expect(result.status).toBe('failed');
    const state = await stateOf(config);
    const t1 = state.tasks.find((task) => task.id === 'T1');
    expect(t1?.status).toBe('failed');
    expect(t1?.failure).toMatch(/gates failed its change twice: security: src\/api\.js: the handler trusts/);
    expect(t1?.gates.filter((verdict) => !verdict.passed).map((verdict) => verdict.round)).toEqual([1, 2]);
    // Its dependent never started; the independent task merged.
    expect(state.tasks.find((task) => task.id === 'T2')?.status).toBe('cancelled');
    expect(state.tasks.find((task) => task.id === 'T3')?.merge).toMatch(/^merged:/);
    const ledger = await ledgerOf(result);
    // Exactly two rounds of work on T1: the second one was told why.
    const claims = ledger.filter((entry) => entry.type === 'task-claim' && entry['taskId'] === 'T1');
    expect(claims).toHaveLength(2);
    expect(ledger.some((entry) => entry.type === 'task-merge' && entry['taskId'] === 'T1')).toBe(false);
    expect(result.summary.metrics.gateBlocks).toBe(2);
    // Nothing of T1 reached the integration branch; its worktree is kept for debugging.
    const integration = `agent-team/${result.runId}/integration`;
    expect(await repo.git('ls-tree', '-r', '--name-only', integration)).not.toContain('src/api.js');
    expect(existsSync(join(repo.dir, '.worktrees', 'backend-dev-T1'))).toBe(true);
    const status = await readWorktreeStatus(join(repo.dir, '.worktrees', 'backend-dev-T1'));
    expect(status?.status).toBe('failed');
    expect(status?.gates.find((gate) => gate.name === 'security')?.passed).toBe(false);
  });

  it('the sim plants a flaw its security gate catches, and fixes it when told; the fix is what gets merged', async () => {
    repo = await sampleRepo();
    const config = await configFor({ provider: { gate_failure_rate: 1 } });
    const plan = [{ id: 'T1', role: 'backend_developer', files: ['src/api.js'] }];
    const seen: LlmRequest[] = [];
    const provider = simWith(
      plan,
      (request) => {
        if (request.metadata.purpose === 'work') seen.push(request);
        return undefined;
      },
      { gateFailureRate: 1 },
    );
    const result = await runTeam({
      config,
      feature: 'Flawed then fixed',
      providerInstance: provider,
      workspace: repo.dir,
      gateFailureRate: 1,
    });
    expect(result.status).toBe('done');
    const told = seen.map((request) => request.messages[0]?.content ?? '').filter((content) => content.includes('these gates failed it'));
    expect(told.length).toBeGreaterThan(0);
    expect(told[0]).toMatch(/### security[\s\S]*hard-coded/);
    const integration = `agent-team/${result.runId}/integration`;
    const merged = await repo.git('show', `${integration}:src/api.js`);
    expect(merged).not.toMatch(/apiKey/);
    expect(result.summary.metrics).toMatchObject({ totalTasks: 1, successful: 1, failed: 0, gateBlocks: 1, testFailures: 0 });
  });
});

describe('merges', () => {
  it('a merge that breaks the tests is undone and its task failed with the test output', async () => {
    repo = await sampleRepo();
    const config = await configFor();
    const plan = [
      { id: 'T1', role: 'backend_developer', files: ['src/api.js'] },
      { id: 'T2', role: 'frontend_developer', files: ['src/ui.js'], dependsOn: ['T1'] },
    ];
    const provider = simWith(plan, (request, answer) => {
      if (request.metadata.taskId !== 'T1' || answer.toolCalls === undefined) return undefined;
      const broken = "import test from 'node:test';\ntest('api answers', () => { throw new Error('api is broken by T1'); });\n";
      return { ...answer, toolCalls: [...answer.toolCalls, writeFileCall('broken', 'test/api.test.js', broken)] };
    });
    const integrationBefore = await repo.git('rev-parse', 'HEAD');
    const result = await runTeam({ config, feature: 'Breaks the tests', providerInstance: provider, workspace: repo.dir });
    expect(result.status).toBe('failed');
    const state = await stateOf(config);
    const t1 = state.tasks.find((task) => task.id === 'T1');
    expect(t1?.status).toBe('failed');
    expect(t1?.merge).toMatch(/^reverted:/);
    expect(t1?.failure).toMatch(/api is broken by T1/);
    expect(state.tasks.find((task) => task.id === 'T2')?.status).toBe('cancelled');
    // The integration branch is back where it was; the task branch still has the work.
    expect(await repo.git('rev-parse', `agent-team/${result.runId}/integration`)).toBe(integrationBefore);
    expect(await repo.git('ls-tree', '-r', '--name-only', `agent-team/${result.runId}/T1`)).toContain('test/api.test.js');
    expect(result.summary.metrics.testFailures).toBe(1);
  });

  it('a genuine conflict is retried after a rebase, then reported with its branch and worktree kept', async () => {
    repo = await sampleRepo();
    const config = await configFor();
    // Declared files differ, so both run at once; each also adds its own last line to src/math.js.
    const original = await readFile(join(repo.dir, 'src', 'math.js'), 'utf8');
    const plan = [
      { id: 'T1', role: 'backend_developer', files: ['src/api.js'] },
      { id: 'T2', role: 'frontend_developer', files: ['src/ui.js'] },
    ];
    // T1's gates answer only once T2 is merged, so T1 meets a moved integration branch.
    const t2Merged = async (): Promise<void> => {
      for (;;) {
        const state = await stateOf(config).catch(() => undefined);
        if (state?.tasks.find((task) => task.id === 'T2')?.merge != null) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const provider = simWith(plan, async (request, answer) => {
      const taskId = request.metadata.taskId;
      if (request.metadata.purpose === 'gate' && taskId === 'T1') await t2Merged();
      if (answer.toolCalls === undefined || (taskId !== 'T1' && taskId !== 'T2')) return undefined;
      const math = `${original}export const owner = ${JSON.stringify(taskId)};\n`;
      return { ...answer, toolCalls: [...answer.toolCalls, writeFileCall('math', 'src/math.js', math)] };
    });
    const result = await runTeam({ config, feature: 'Two hands on one file', providerInstance: provider, workspace: repo.dir });
    const ledger = await ledgerOf(result);
    const merges = ledger.filter((entry) => entry.type === 'task-merge');
    expect(merges.map((entry) => [entry['taskId'], entry['status']])).toEqual([
      ['T2', 'merged'],
      ['T1', 'conflict'],
    ]);
    expect(String(merges[1]?.['detail'])).toMatch(/conflicts in src\/math\.js; branch agent-team\/.*\/T1 kept for a person/);
    const state = await stateOf(config);
    expect(state.tasks.find((task) => task.id === 'T1')?.status).toBe('failed');
    expect(await repo.git('rev-parse', '--verify', `agent-team/${result.runId}/T1`)).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(join(repo.dir, '.worktrees', 'backend-dev-T1'))).toBe(true);
    // The merged task's worktree is gone, its branch stays until `agent-team clean`.
    expect(existsSync(join(repo.dir, '.worktrees', 'frontend-dev-T2'))).toBe(false);
    const report = await readFile(result.files.report, 'utf8');
    expect(report).toContain(`git merge --no-ff agent-team/${result.runId}/integration`);
  });

  it('auto_merge false leaves each passing branch ready, builds dependents on their dependencies, and lists the commands', async () => {
    repo = await sampleRepo();
    const config = await configFor({ coordination: { auto_merge: false } });
    const plan = [
      { id: 'T1', role: 'backend_developer', files: ['src/api.js'] },
      { id: 'T2', role: 'frontend_developer', files: ['src/ui.js'], dependsOn: ['T1'] },
    ];
    const gateDiffs = new Map<string, string>();
    const provider = simWith(plan, (request) => {
      if (request.metadata.purpose === 'gate')
        gateDiffs.set(String(request.metadata.taskId), String((request.metadata.context as { diff: string }).diff));
      return undefined;
    });
    const result = await runTeam({ config, feature: 'Left for a person', providerInstance: provider, workspace: repo.dir });
    expect(result.status).toBe('done');
    const integration = `agent-team/${result.runId}/integration`;
    expect(await repo.git('rev-parse', integration)).toBe(await repo.git('rev-parse', 'main'));
    // T2 was cut with T1's work in it, but its own change (and what its gates read) is only its own.
    const t2 = `agent-team/${result.runId}/T2`;
    expect(await repo.git('ls-tree', '-r', '--name-only', t2)).toContain('src/api.js');
    const commit = (await ledgerOf(result)).find((entry) => entry.type === 'task-commit' && entry['taskId'] === 'T2');
    expect(commit?.['files']).toEqual(['src/ui.js']);
    expect(gateDiffs.get('T2')).toContain('src/ui.js');
    expect(gateDiffs.get('T2')).not.toContain('src/api.js');
    // The listed commands, run as written on the user's branch, merge cleanly.
    const report = await readFile(result.files.report, 'utf8');
    const commands = [...report.matchAll(/^git merge --no-ff (\S+)$/gm)].map((match) => match[1] as string);
    expect(commands).toEqual([`agent-team/${result.runId}/T1`, t2]);
    for (const branch of commands) await repo.git('merge', '--no-ff', '--no-edit', branch);
    expect(await repo.git('ls-tree', '-r', '--name-only', 'HEAD')).toMatch(/src\/api\.js[\s\S]*src\/ui\.js|src\/ui\.js[\s\S]*src\/api\.js/);
  });
});

describe('setting up worktrees', () => {
  const install = [
    'node',
    '-e',
    "const fs = require('fs'); fs.mkdirSync('node_modules', { recursive: true }); fs.writeFileSync('node_modules/.installed', 'yes');",
  ];

  it('runs workspace.setup_command in every new worktree, so the tests after each merge find what it installs', async () => {
    repo = await sampleRepo();
    const config = await configFor({
      workspace: {
        setup_command: install,
        test_command: ['node', '-e', "process.exit(require('fs').existsSync('node_modules/.installed') ? 0 : 1)"],
      },
    });
    const plan = [
      { id: 'T1', role: 'backend_developer', files: ['src/api.js'] },
      { id: 'T2', role: 'frontend_developer', files: ['src/ui.js'], dependsOn: ['T1'] },
    ];
    const seen: string[] = [];
    const provider = simWith(plan, async (request) => {
      // The agent's worktree is set up before its first call.
      if (request.metadata.purpose === 'work' && request.messages.length === 1) {
        const agent = request.metadata.agentId;
        seen.push(
          String(
            existsSync(join(repo?.dir ?? '', '.worktrees', `${agent}-${String(request.metadata.taskId)}`, 'node_modules', '.installed')),
          ),
        );
      }
      return undefined;
    });
    const result = await runTeam({ config, feature: 'Needs an install', providerInstance: provider, workspace: repo.dir });
    expect(result.status).toBe('done');
    expect(seen).toEqual(['true', 'true']);
    // What the setup installs is ignored by the project, so no task commits it.
    expect(await repo.git('ls-tree', '-r', '--name-only', `agent-team/${result.runId}/integration`)).not.toContain('node_modules');
  });

  it('a setup command that fails stops the run before anything is written, and leaves the repository as it was', async () => {
    repo = await sampleRepo();
    const config = await configFor({
      workspace: { setup_command: ['node', '-e', "console.error('registry unreachable'); process.exit(3)"] },
    });
    const refsBefore = await repo.git('for-each-ref');
    const failure = await runTeam({
      config,
      feature: 'No install',
      providerInstance: simWith([], () => undefined),
      workspace: repo.dir,
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'workspace_setup_failed', exitCode: 2 });
    expect(String((failure as Error).message)).toMatch(/workspace\.setup_command \(node -e .*\) exited with 3[\s\S]*registry unreachable/);
    expect(await repo.git('for-each-ref')).toBe(refsBefore);
    expect(await repo.git('worktree', 'list', '--porcelain')).not.toContain('.worktrees');
    expect(existsSync(config.stateFile)).toBe(false);
  });
});

describe('reports', () => {
  it('a report that is not valid JSON after the tools ran gets one repair request; the files are kept', async () => {
    repo = await sampleRepo();
    const config = await configFor();
    const plan = [{ id: 'T1', role: 'backend_developer', files: ['src/api.js'] }];
    const repairs: LlmRequest[] = [];
    const provider = simWith(plan, (request, answer) => {
      if (request.metadata.purpose !== 'work' || answer.toolCalls !== undefined) return undefined;
      if (request.metadata.repair === true) {
        repairs.push(request);
        return undefined;
      }
      return { ...answer, text: 'I wrote the API module; it is done.' };
    });
    const result = await runTeam({ config, feature: 'Chatty agent', providerInstance: provider, workspace: repo.dir });
    expect(result.status).toBe('done');
    expect(repairs).toHaveLength(1);
    expect(repairs[0]?.messages.at(-1)?.content).toMatch(/Your report was rejected:[\s\S]*not valid JSON/);
    const ledger = await ledgerOf(result);
    expect(ledger.filter((entry) => entry.type === 'task-claim')).toHaveLength(1);
    expect(ledger.filter((entry) => entry.type === 'model-call' && entry['repair'] === true)).toHaveLength(1);
    expect(await repo.git('show', `agent-team/${result.runId}/integration:src/api.js`)).toContain('T1');
  });
});

describe('stopped attempts', () => {
  it('an attempt that times out keeps its partial work on a wip/ branch, and the retry finishes the task', async () => {
    repo = await sampleRepo();
    // The attempt times out when the test says so, not after a wall-clock second a loaded machine may use up before the hang.
    const attemptTimeouts = captureTimers(TASK_TIMEOUT_SECONDS * 1000);
    onTestFinished(() => attemptTimeouts.restore());
    const config = await configFor({ coordination: { task_timeout_seconds: TASK_TIMEOUT_SECONDS } });
    const plan = [{ id: 'T1', role: 'backend_developer', files: ['src/api.js'] }];
    let hung = false;
    const firstMessages: string[] = [];
    const provider = simWith(plan, async (request, _answer, signal) => {
      if (request.metadata.purpose === 'work' && !request.messages.some((message) => message.role === 'tool'))
        firstMessages.push(request.messages[0]?.content ?? '');
      // The first report call after the files are written never comes back: its attempt's timeout fires.
      const afterTools = request.messages.some((message) => message.role === 'tool');
      if (request.metadata.purpose !== 'work' || !afterTools || hung) return undefined;
      hung = true;
      const aborted = new Promise<never>((_resolve, reject) =>
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
      );
      attemptTimeouts.fireLast();
      await aborted;
      return undefined;
    });
    const result = await runTeam({ config, feature: 'Slow agent', providerInstance: provider, workspace: repo.dir });
    expect(result.status).toBe('done');
    const wip = `wip/${result.runId}/T1`;
    expect(await repo.git('ls-tree', '-r', '--name-only', wip)).toContain('src/api.js');
    const ledger = await ledgerOf(result);
    expect(ledger.find((entry) => entry.type === 'task-wip')).toMatchObject({ taskId: 'T1', branch: wip, reason: 'timed out' });
    expect((await stateOf(config)).tasks[0]?.wip).toBe(wip);
    // The retry is told that its files already hold the stopped attempt's work.
    expect(firstMessages).toHaveLength(2);
    expect(firstMessages[0]).not.toContain('## Work already in your worktree');
    expect(firstMessages[1]).toContain('## Work already in your worktree');
    expect(await repo.git('show', `agent-team/${result.runId}/integration:src/api.js`)).toContain('T1');
  });
});
