/**
 * Real cells are reproducible: cells on a real provider (here the Anthropic wire protocol
 * of a local server) record cassettes, and `experiment run --replay` reproduces their
 * rows exactly with the server gone.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/index.js';
import { loadExperimentFile, runExperiment } from '../../src/experiment/index.js';
import { DEFAULT_ROSTER } from '../support/team-fixture.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { CLAUDE_TEAM_YML, clearWireTeamKeys, startWireTeam, writeWireTeamProject } from '../support/wire-team.js';

let project: TempProject | undefined;
afterEach(async () => {
  clearWireTeamKeys();
  await project?.cleanup();
});

describe('experiment run --replay', () => {
  it('reproduces the rows of real cells from their cassettes, offline', async () => {
    project = await tempProject('agent-team-experiment-replay-');
    const servers = await startWireTeam();
    let recorded: string;
    try {
      await writeWireTeamProject(project, { agentsYml: CLAUDE_TEAM_YML, anthropic: servers.anthropic.url });
      await project.write(
        'experiment.json',
        JSON.stringify({
          name: 'real',
          feature: 'Add user authentication with email and password',
          config: 'orchestrator-config.json',
          designs: [{ name: 'claude-team' }, { name: 'no-reviewer', roster: DEFAULT_ROSTER.filter((agent) => agent.role !== 'reviewer') }],
          seeds: [1],
          concurrency: 2,
          budget: { per_cell_usd: 2, total_usd: 10 },
        }),
      );
      const loaded = loadExperimentFile(project.path('experiment.json'), project.dir);
      const first = await runExperiment({ loaded, dir: project.path('recorded') });
      expect(first.summary).toMatchObject({ status: 'finished', finished: 2 });
      expect(first.records.every((record) => record.status === 'done' && record.costUsd > 0)).toBe(true);
      // Real runs know no defects: those columns stay empty.
      expect(first.records[0]?.defectsEscaped).toBeNull();
      recorded = await readFile(project.path('recorded', 'results.csv'), 'utf8');
    } finally {
      await servers.close();
    }
    const loaded = loadExperimentFile(project.path('experiment.json'), project.dir);
    const replayed = await runExperiment({ loaded, dir: project.path('replayed'), replayFrom: project.path('recorded') });
    expect(replayed.summary).toMatchObject({ status: 'finished', finished: 2 });
    expect(await readFile(project.path('replayed', 'results.csv'), 'utf8')).toBe(recorded);
    await expect(runExperiment({ loaded, dir: project.path('again'), replayFrom: project.path('nowhere') })).rejects.toThrow(UsageError);
  });
});
