import { readFile } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { teamStateSchema } from '../../src/state/index.js';
import { runCommand } from '../support/cli-in-process.js';
import { ensureBuilt, startCli } from '../support/cli.js';
import { readEntries } from '../support/ledger.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

const FEATURE = 'Add user authentication with email and password';
let project: TempProject;

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await project.cleanup();
});

async function readState(): Promise<ReturnType<typeof teamStateSchema.parse>> {
  return teamStateSchema.parse(JSON.parse(await readFile(project.path('.ai-agents/state/team-communication.json'), 'utf8')));
}

describe.each([
  { mode: 'in-process', extra: [] as string[] },
  { mode: 'processes', extra: ['--processes'] },
])('Ctrl-C during a run ($mode)', ({ extra }) => {
  it('leaves a valid state with in-flight tasks back to ready, and --resume finishes with no task done twice', async () => {
    project = await tempProject();
    // Slow enough (about 0.1-1 s per call) to be interrupted mid-run.
    const running = startCli(['run', '--feature', FEATURE, '--seed', '2', '--time-scale', '0.06', ...extra], { cwd: project.dir });
    await running.waitForOutput(/finished T1/);
    running.kill('SIGINT');
    const interrupted = await running.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toContain('Continue with: agent-team run --resume');

    const state = await readState();
    expect(state.run.status).toBe('interrupted');
    expect(state.tasks.some((task) => task.status === 'in_progress')).toBe(false);
    expect(state.tasks.some((task) => task.status !== 'done')).toBe(true);
    expect(state.budget.reservedUsd).toBe(0);
    expect(Object.values(state.agents).every((agent) => agent.activeTasks.length === 0)).toBe(true);

    const resumed = await runCommand(['run', '--resume', '--time-scale', '0', '--json'], { cwd: project.dir });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const final = await readState();
    expect(final.run.status).toBe('done');
    expect(final.run.resumes).toBe(1);
    expect(final.tasks.every((task) => task.status === 'done')).toBe(true);

    const ledger = await readEntries(project.path('.ai-agents/state/run_ledger.jsonl'));
    const doneEvents = ledger.filter((entry) => entry.type === 'task-end' && entry['status'] === 'done').map((entry) => entry['taskId']);
    expect(new Set(doneEvents).size).toBe(doneEvents.length);
    expect(doneEvents.length).toBe(final.tasks.length);
    // No task is claimed again once it is done.
    for (const taskId of doneEvents) {
      const doneAt = ledger.findIndex((entry) => entry.type === 'task-end' && entry['taskId'] === taskId);
      expect(ledger.slice(doneAt).some((entry) => entry.type === 'task-claim' && entry['taskId'] === taskId)).toBe(false);
    }
    expect(ledger.some((entry) => entry.type === 'run-resume')).toBe(true);
  });
});
