/**
 * The experiment commands end to end: `experiment plan` forecasts from a sim pilot,
 * `experiment run --json` exits 0 with its rows, a bad experiment file exits 2 naming
 * the field, and `run --roster --tiers` records the design in summary.json.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { loadExperimentFile, planExperiment, seedsToDetect } from '../../src/experiment/index.js';
import { REVIEWER_DESIGNS, writeExperiment } from '../support/experiment-fixture.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject;
beforeEach(async () => {
  const previous = process.env['TMPDIR'];
  // Runs fsync their state many times; /dev/shm keeps that off the disk (the results do not depend on it).
  if (existsSync('/dev/shm')) process.env['TMPDIR'] = '/dev/shm';
  try {
    project = await tempProject('agent-team-experiment-cli-');
  } finally {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
  }
});
afterEach(async () => {
  await project.cleanup();
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const terminal = bufferTerminal();
  const code = await main(['node', 'agent-team', ...args], { terminal, cwd: project.dir });
  return { code, stdout: terminal.stdout(), stderr: terminal.stderr() };
}

describe('experiment commands', () => {
  it('plan: money and time from a pilot, and seeds from the spread of paired differences', async () => {
    const file = await writeExperiment(project, { seeds: 10, designs: REVIEWER_DESIGNS.slice(0, 2), totalUsd: 0.5 });
    const forecast = await planExperiment({
      loaded: loadExperimentFile(file, project.dir),
      pilotSeeds: 2,
      metric: 'calls',
      difference: 0.5,
    });
    expect(forecast.pilotSeeds).toEqual([1, 2]);
    expect(forecast.designs.map((design) => design.runs)).toEqual([10, 10]);
    const [first, second] = forecast.designs;
    expect(forecast.costUsd).toBeCloseTo((first?.costPerRun.mean ?? 0) * 10 + (second?.costPerRun.mean ?? 0) * 10, 9);
    // About $0.2 a run × 20 runs does not fit in $0.5.
    expect(forecast.budget.fits).toBe(false);
    const power = forecast.power.designs[0];
    expect(power?.design).toBe('without-reviewer');
    expect(power?.seedsNeeded).toBe(seedsToDetect({ sd: power?.sdOfDifferences ?? 0, difference: 0.5 }));
    expect(forecast.modelMs).toBeGreaterThan(0);
    // Nothing of the pilot is left in the project.
    expect(existsSync(project.path('experiments'))).toBe(false);
  });

  it('run --json: the rows and exit 0; the results are where --out says', async () => {
    await writeExperiment(project, { seeds: 1, designs: REVIEWER_DESIGNS.slice(1, 3) });
    const result = await cli(['experiment', 'run', 'experiment.json', '--out', 'out', '--json', '--concurrency', '2']);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as { summary: { finished: number }; records: { design: string }[] };
    expect(printed.summary.finished).toBe(2);
    expect(printed.records.map((record) => record.design)).toEqual(['without-reviewer', 'cheap-tiers']);
    expect(await readFile(project.path('out', 'results.csv'), 'utf8')).toContain('without-reviewer,');
    const again = await cli(['experiment', 'run', 'experiment.json', '--out', 'out']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--resume');
  });

  it('a bad experiment file exits 2 naming the file and the field', async () => {
    await project.write(
      'bad.yml',
      'name: Bad Name\nfeature: x\nseeds: [1]\nbudget: { per_cell_usd: 1 }\ndesigns: [{ name: a, tiers: { simple: 3 } }]\n',
    );
    const result = await cli(['experiment', 'run', 'bad.yml']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad.yml is invalid');
    expect(result.stderr).toContain('name');
    expect(result.stderr).toContain('budget.total_usd');
    await project.write(
      'roster.json',
      JSON.stringify({
        name: 'x',
        feature: 'x',
        seeds: [1],
        budget: { per_cell_usd: 1, total_usd: 1 },
        designs: [{ name: 'a', roster: [{ id: 'manager', role: 'team_manager' }] }],
      }),
    );
    const design = await cli(['experiment', 'run', 'roster.json']);
    expect(design.code).toBe(2);
    expect(design.stderr).toContain('roster.json designs.0.roster is invalid');
    expect(design.stderr).toContain('a roster needs a manager and at least one role agent');
    const schema = await cli(['experiment', 'schema']);
    expect(JSON.parse(schema.stdout)).toMatchObject({ type: 'object', required: expect.arrayContaining(['name', 'designs', 'seeds']) });
  });

  it('run --roster --tiers records the design in summary.json', async () => {
    await project.write('roster.yml', '- { id: manager, role: team_manager }\n- { id: backend-dev, role: backend_developer }\n');
    await project.write('tiers.json', JSON.stringify({ medium: 'claude-haiku-4-5', complex: 'claude-haiku-4-5' }));
    const result = await cli([
      'run',
      '--feature',
      'Add a slugify helper',
      '--roster',
      'roster.yml',
      '--tiers',
      'tiers.json',
      '--time-scale',
      '0',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const { files } = JSON.parse(result.stdout) as { files: { summary: string } };
    const summary = JSON.parse(await readFile(files.summary, 'utf8'));
    expect(summary.design.roster.map((member: { id: string }) => member.id)).toEqual(['manager', 'backend-dev']);
    expect(summary.design.tiers).toEqual({ simple: 'claude-haiku-4-5', medium: 'claude-haiku-4-5', complex: 'claude-haiku-4-5' });
    expect(summary.design.roster[1].promptHash).toMatch(/^[0-9a-f]{16}$/);
    expect(summary.design.sim).toMatchObject({ seed: 1, timeScale: 0 });
    expect(Object.keys(summary.byModel)).toEqual(['claude-haiku-4-5']);
    expect(summary.quality.introduced).toBe(summary.quality.caught + summary.quality.escaped);
    const bad = await cli(['run', '--feature', 'x', '--roster', 'tiers.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('tiers.json is invalid');
  });
});
