import { describe, expect, it } from 'vitest';
import { pathsOverlap } from '../../../src/team/tasks/scheduler.js';
import {
  answers,
  eventsOf,
  plannedTask,
  readTeamLedger,
  runTeamInProcess,
  seedPlan,
  useScriptedTeams,
} from '../../support/team-fixture.js';

const setup = useScriptedTeams();

describe('scheduling with files in mind', () => {
  it('knows when two declared paths can touch the same file', () => {
    expect(pathsOverlap('src/a.ts', 'src/a.ts')).toBe(true);
    expect(pathsOverlap('./src/a.ts', 'src/a.ts')).toBe(true);
    expect(pathsOverlap('mobile/ios/', 'mobile/ios/App.swift')).toBe(true);
    expect(pathsOverlap('src/a.ts', 'src/ab.ts')).toBe(false);
    expect(pathsOverlap('src/a', 'src/a.ts')).toBe(false);
  });

  it('never runs two tasks with overlapping files at once, and says so in the ledger', async () => {
    const { provider, fixture } = await setup({ status: 'running' });
    await seedPlan(fixture, [
      plannedTask({ id: 'T1', role: 'backend_developer', files: ['src/auth/session.ts', 'src/db.ts'] }),
      plannedTask({ id: 'T2', role: 'frontend_developer', files: ['src/auth/session.ts'] }),
      plannedTask({ id: 'T3', role: 'qa_tester', files: ['tests/auth.test.ts'] }),
    ]);
    const inFlight = new Set<string>();
    const together: string[][] = [];
    // Each work call stays open until it has met the independent task, however slow the machine:
    // T3 until T1 or T2 is in flight, T1 and T2 until T3 has started. So T2 is ready while T1 is open.
    let t3Started = false;
    const met = (taskId: string): boolean => (taskId === 'T3' ? [...inFlight].some((id) => id !== 'T3') : t3Started);
    const hold = (taskId: string) => ({
      respond: async () => {
        inFlight.add(taskId);
        together.push([...inFlight].sort());
        if (taskId === 'T3') t3Started = true;
        while (!met(taskId)) await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight.delete(taskId);
        return answers.done(`${taskId} done`);
      },
    });
    provider.enqueueFor({ taskId: 'T1', purpose: 'work' }, hold('T1'));
    provider.enqueueFor({ taskId: 'T2', purpose: 'work' }, hold('T2'));
    provider.enqueueFor({ taskId: 'T3', purpose: 'work' }, hold('T3'));
    provider.enqueueFor({ purpose: 'integrate' }, answers.integration('All done.'));

    const outcome = await runTeamInProcess(fixture);
    expect(outcome.state.run.status).toBe('done');
    provider.assertComplete();
    expect(together.some((group) => group.includes('T1') && group.includes('T2'))).toBe(false);
    // The independent task did run alongside one of them.
    expect(together.some((group) => group.length === 2 && group.includes('T3'))).toBe(true);
    const waits = eventsOf(await readTeamLedger(fixture), 'task-wait');
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(waits[0]).toMatchObject({ files: ['src/auth/session.ts'] });
  });
});
