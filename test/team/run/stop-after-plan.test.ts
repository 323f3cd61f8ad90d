import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { FileStore, teamStateSchema } from '../../../src/state/index.js';
import { PLANNED_END_REASON, runTeam } from '../../../src/team/index.js';
import { readEntries } from '../../support/ledger.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';

const projects: TempProject[] = [];

afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.cleanup()));
});

describe('runTeam with stopAfterPlan', () => {
  it('stores the plan, makes no work call, ends resumable; resume executes the same plan to the end', async () => {
    const project = await tempProject();
    projects.push(project);
    const config = loadTeamConfig({ cwd: project.dir });
    const planned = await runTeam({ config, feature: 'Add a shopping cart', seed: 3, timeScale: 0, stopAfterPlan: true });
    expect(planned.status).toBe('interrupted');
    const store = new FileStore({ file: config.stateFile, schema: teamStateSchema });
    const afterPlan = await store.read();
    expect(afterPlan.run.endReason).toBe(PLANNED_END_REASON);
    expect(afterPlan.run.owner).toBeNull();
    expect(afterPlan.tasks.length).toBeGreaterThan(0);
    expect(afterPlan.tasks.every((task) => task.status === 'ready' || task.status === 'pending')).toBe(true);
    const planCalls = (await readEntries(config.ledgerFile)).filter((entry) => entry.type === 'model-call');
    // Only the manager planned.
    expect(new Set(planCalls.map((entry) => entry['agentId']))).toEqual(new Set([config.manager.id]));

    const executed = await runTeam({ config, resume: true });
    expect(executed.status).toBe('done');
    const final = await store.read();
    expect(final.run.id).toBe(afterPlan.run.id);
    const plannedIds = afterPlan.tasks.map((task) => task.id);
    expect(final.tasks.filter((task) => plannedIds.includes(task.id)).every((task) => task.status === 'done')).toBe(true);
  });

  it('a run stopped by its signal during planning keeps the interrupted reason, not the planned one', async () => {
    const project = await tempProject();
    projects.push(project);
    const config = loadTeamConfig({ cwd: project.dir });
    const stop = new AbortController();
    stop.abort();
    const result = await runTeam({ config, feature: 'Add a shopping cart', timeScale: 0, stopAfterPlan: true, signal: stop.signal });
    expect(result.status).toBe('interrupted');
    const state = await new FileStore({ file: config.stateFile, schema: teamStateSchema }).read();
    expect(state.run.endReason).not.toBe(PLANNED_END_REASON);
  });

  it('a run resumed with a signal already aborted stops at once: no role agent works', async () => {
    const project = await tempProject();
    projects.push(project);
    const config = loadTeamConfig({ cwd: project.dir });
    await runTeam({ config, feature: 'Add a shopping cart', timeScale: 0, stopAfterPlan: true });
    const stop = new AbortController();
    stop.abort();
    const result = await runTeam({ config, resume: true, signal: stop.signal });
    expect(result.status).toBe('interrupted');
    const calls = (await readEntries(config.ledgerFile)).filter((entry) => entry.type === 'model-call');
    expect(calls.every((entry) => entry['agentId'] === config.manager.id)).toBe(true);
  });
});
