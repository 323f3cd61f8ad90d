import { afterEach, describe, expect, it } from 'vitest';
import { withTeamStore } from '../../src/team/index.js';
import { orchestrateBody, type ServiceFixture, startService, waitForStatus } from './service-fixture.js';

const services: ServiceFixture[] = [];

afterEach(async () => {
  // Last started first, one after the other: two servers of one test share their project.
  for (const started of services.splice(0).reverse()) await started.cleanup();
});

describe('a server stopped mid-run', () => {
  it('leaves the run interrupted and resumable; the next server on the same data executes it to the end', async () => {
    const first = await startService({ timeScale: 0.05 });
    services.push(first);
    const { call, server, project } = first;
    await call('/orchestrate', { method: 'POST', json: orchestrateBody('restart-1') });
    await call('/execute/restart-1', { method: 'POST' });
    const config = server.runs.configFor('restart-1');
    // Stop once some work is done, some not.
    for (;;) {
      const state = await withTeamStore(config, (store) => store.read());
      if (state.tasks.some((task) => task.status === 'done')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await server.close();
    const stopped = await withTeamStore(config, (store) => store.read());
    expect(stopped.run.status).toBe('interrupted');
    expect(stopped.run.owner).toBeNull();
    expect(stopped.tasks.some((task) => task.status !== 'done')).toBe(true);

    const second = await startService({ project, timeScale: 0 });
    services.push(second);
    const before = (await (await second.call('/tasks/restart-1')).json()) as { status: string };
    expect(before.status).toBe('interrupted');
    // The same submission is still the same task.
    expect((await second.call('/orchestrate', { method: 'POST', json: orchestrateBody('restart-1') })).status).toBe(200);
    expect((await second.call('/execute/restart-1', { method: 'POST' })).status).toBe(202);
    const view = (await waitForStatus(second.call, 'restart-1', ['completed', 'failed'])) as unknown as {
      status: string;
      run_id: string;
      status_history: { status: string }[];
    };
    expect(view.status).toBe('completed');
    expect(view.run_id).toBe(stopped.run.id);
    expect(view.status_history.map((change) => change.status)).toEqual([
      'planning',
      'planned',
      'running',
      'interrupted',
      'running',
      'completed',
    ]);
  });

  it('lets a plan under way finish before it stops, and refuses new submissions meanwhile', async () => {
    const started = await startService({ timeScale: 0.1 });
    services.push(started);
    const { call, server } = started;
    const submitted = call('/orchestrate', { method: 'POST', json: orchestrateBody('mid-plan') }).then(
      (response) => response.status,
      () => 'cut',
    );
    const config = server.runs.configFor('mid-plan');
    // Planning has begun once the run exists.
    while ((await withTeamStore(config, (store) => store.exists())) === false) await new Promise((resolve) => setTimeout(resolve, 10));
    const closing = server.close();
    const refused = await call('/orchestrate', { method: 'POST', json: orchestrateBody('too-late') }).then(
      (response) => response.status,
      () => 'cut',
    );
    await closing;
    expect([503, 'cut']).toContain(refused);
    expect([200, 'cut']).toContain(await submitted);
    const state = await withTeamStore(config, (store) => store.read());
    expect(state.run.status).toBe('interrupted');
    expect(state.tasks.length).toBeGreaterThan(0);
    expect(state.run.owner).toBeNull();
  });
});
