import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { teamStateSchema } from '../../../src/state/index.js';
import { runTeam } from '../../../src/team/index.js';
import { smallTeamConfig } from '../../support/small-team-config.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';

const projects: TempProject[] = [];

afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.cleanup()));
});

/** A project whose orchestrator config caps each agent at `maxIterations` work calls. */
async function cappedProject(maxIterations: number): Promise<{ project: TempProject; writeCap: (cap: number) => Promise<string> }> {
  const project = await tempProject('agent-team-iteration-cap-');
  projects.push(project);
  const writeCap = (cap: number): Promise<string> =>
    project.write(
      'orchestrator-config.json',
      smallTeamConfig({
        maxIterations: cap,
        others: [
          { id: 'qa-1', role: 'qa_tester' },
          { id: 'reviewer-1', role: 'reviewer' },
        ],
      }),
    );
  await writeCap(maxIterations);
  return { project, writeCap };
}

describe('a run whose agents reach coordination.max_iterations', () => {
  it('ends resumable, says the cap stopped it and how to continue, fails no task, and a resume with a higher cap finishes', async () => {
    const { project, writeCap } = await cappedProject(2);
    const configFile = project.path('orchestrator-config.json');
    const capped = await runTeam({
      config: loadTeamConfig({ configPath: configFile, cwd: project.dir }),
      feature: 'Add a batch of small improvements',
      planTasks: 24,
      timeScale: 0,
    });

    expect(capped.status).toBe('interrupted');
    const reason = capped.summary.endReason ?? '';
    expect(reason).toContain('iteration cap');
    expect(reason).toContain('coordination.max_iterations (2)');
    expect(reason).toContain(configFile);
    expect(reason).toContain('agent-team run --resume');
    const state = teamStateSchema.parse(JSON.parse(await readFile(capped.files.state, 'utf8')));
    const left = state.tasks.filter((task) => task.status !== 'done').length;
    expect(left).toBeGreaterThan(0);
    expect(reason).toContain(`${left} task(s) unfinished`);
    // The cap is not the tasks' fault: nothing failed or was cancelled for it.
    expect(state.tasks.filter((task) => task.status === 'failed' || task.status === 'cancelled')).toEqual([]);
    expect(JSON.parse(await readFile(capped.files.summary, 'utf8'))).toMatchObject({ status: 'interrupted', endReason: reason });
    expect(await readFile(capped.files.report, 'utf8')).toContain(reason);

    await writeCap(1000);
    const resumed = await runTeam({ config: loadTeamConfig({ configPath: configFile, cwd: project.dir }), resume: true });
    expect(resumed.status).toBe('done');
    expect(resumed.summary.tasks.total).toBe(state.tasks.length);
  });
});
