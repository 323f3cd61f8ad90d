/**
 * `experiment run` on the sim at time scale 0: the same results.csv twice, each cell
 * run once across an interrupt and a resume, and budgets that are never exceeded.
 * Projects live in /dev/shm when there is one: every run fsyncs its state many times,
 * and the results do not depend on the disk.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/index.js';
import { type ExperimentEvent, loadExperimentFile, runExperiment } from '../../src/experiment/index.js';
import { writeExperiment } from '../support/experiment-fixture.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const projects: TempProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.cleanup()));
});

async function scratch(): Promise<TempProject> {
  const previous = process.env['TMPDIR'];
  if (existsSync('/dev/shm')) process.env['TMPDIR'] = '/dev/shm';
  try {
    const project = await tempProject('agent-team-experiment-');
    projects.push(project);
    return project;
  } finally {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
  }
}

describe('experiment run', () => {
  it('3 designs × 10 seeds on the sim give the same results.csv twice, one row per cell', async () => {
    const project = await scratch();
    const file = await writeExperiment(project, { seeds: 10 });
    const loaded = loadExperimentFile(file, project.dir);
    const first = await runExperiment({ loaded, dir: project.path('first') });
    const second = await runExperiment({ loaded, dir: project.path('second') });
    const csv = await readFile(project.path('first', 'results.csv'), 'utf8');
    expect(await readFile(project.path('second', 'results.csv'), 'utf8')).toBe(csv);
    expect(first.summary).toMatchObject({ status: 'finished', cells: 30, finished: 30 });
    expect(second.records.map((record) => record.runId)).not.toEqual(first.records.map((record) => record.runId));
    const lines = csv.trim().split('\n');
    expect(lines).toHaveLength(31);
    expect(lines[0]).not.toContain('wall');
    // The designs differ as designed: no reviewer, fewer calls; cheap tiers, less money and more defects.
    const mean = (design: string, key: 'calls' | 'costUsd' | 'defectsIntroduced' | 'defectsCaught'): number => {
      const rows = first.records.filter((record) => record.design === design);
      return rows.reduce((sum, record) => sum + (record[key] ?? 0), 0) / rows.length;
    };
    expect(mean('without-reviewer', 'calls')).toBeLessThan(mean('with-reviewer', 'calls'));
    expect(mean('cheap-tiers', 'costUsd')).toBeLessThan(mean('with-reviewer', 'costUsd'));
    expect(mean('cheap-tiers', 'defectsIntroduced')).toBeGreaterThan(mean('with-reviewer', 'defectsIntroduced'));
    const jsonl = (await readFile(project.path('first', 'results.jsonl'), 'utf8')).trim().split('\n');
    expect(jsonl).toHaveLength(30);
    expect(JSON.parse(jsonl[0] as string)).toHaveProperty('wallMs');
    // Every cell is a normal run directory whose summary names its design.
    const summary = JSON.parse(
      await readFile(project.path('first', (first.records[0] as { runDir: string }).runDir, 'summary.json'), 'utf8'),
    );
    expect(summary.design.hash).toBe(first.records[0]?.designHash);
    expect(summary.quality.introduced).toBe(first.records[0]?.defectsIntroduced);
  });

  it('an interrupted experiment resumed runs each cell once', async () => {
    const project = await scratch();
    const file = await writeExperiment(project, { seeds: 3, concurrency: 2 });
    const loaded = loadExperimentFile(file, project.dir);
    const dir = project.path('out');
    const stop = new AbortController();
    const ended: ExperimentEvent[] = [];
    const first = await runExperiment({
      loaded,
      dir,
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type !== 'cell-end') return;
        ended.push(event);
        if (event.done >= 3) stop.abort();
      },
    });
    expect(first.summary.status).toBe('interrupted');
    // Each cell's line counts the cells finished up to it, one more each time, however the cells' ends interleave.
    const counts = ended.flatMap((event) => (event.type === 'cell-end' && event.outcome === 'finished' ? [event.done] : []));
    expect(counts).toEqual(counts.map((_, index) => index + 1));
    const finishedFirst = first.records.map((record) => record.runId);
    expect(finishedFirst.length).toBeGreaterThanOrEqual(3);
    expect(finishedFirst.length).toBeLessThan(9);
    await expect(runExperiment({ loaded, dir })).rejects.toThrow(UsageError);
    const started: string[] = [];
    const second = await runExperiment({
      loaded,
      dir,
      resume: true,
      onEvent: (event) => {
        if (event.type === 'cell-end') started.push(event.cell.id);
      },
    });
    expect(second.summary).toMatchObject({ status: 'finished', finished: 9 });
    // Cells finished before the interrupt were not run again; every cell has exactly one run.
    expect(started).toHaveLength(9 - finishedFirst.length);
    expect(second.records.filter((record) => finishedFirst.includes(record.runId))).toHaveLength(finishedFirst.length);
    for (const record of second.records) {
      const runs = await readdir(project.path('out', 'cells', `${record.design}--seed-${record.seed}--rep-1`, 'runs'));
      expect(runs).toEqual([record.runId]);
    }
  });

  it('a cell stopped in the middle of its run continues that run on resume', async () => {
    const project = await scratch();
    // At time scale 0.01 the run sleeps about two seconds in simulated latency; it is stopped once its first task ends.
    const file = await project.write(
      'experiment.json',
      JSON.stringify({
        name: 'slow',
        feature: 'Add user authentication with email and password',
        designs: [{ name: 'team' }],
        seeds: [4],
        time_scale: 0.01,
        budget: { per_cell_usd: 1, total_usd: 2 },
      }),
    );
    const loaded = loadExperimentFile(file, project.dir);
    const stop = new AbortController();
    const ledger = project.path('out', 'cells', 'team--seed-4--rep-1', 'state', 'run_ledger.jsonl');
    const watch = (async () => {
      while (!stop.signal.aborted) {
        const text = await readFile(ledger, 'utf8').catch(() => '');
        if (text.includes('"type":"task-end"')) stop.abort();
        else await new Promise((settle) => setTimeout(settle, 10));
      }
    })();
    const first = await runExperiment({ loaded, dir: project.path('out'), signal: stop.signal });
    stop.abort();
    await watch;
    expect(first.summary).toMatchObject({ status: 'interrupted', finished: 0 });
    const runsDir = project.path('out', 'cells', 'team--seed-4--rep-1', 'runs');
    const [runId] = await readdir(runsDir);
    const second = await runExperiment({ loaded, dir: project.path('out'), resume: true });
    expect(second.summary).toMatchObject({ status: 'finished', finished: 1 });
    expect(second.records[0]?.runId).toBe(runId);
    expect(await readdir(runsDir)).toEqual([runId]);
    const summary = JSON.parse(await readFile(project.path('out', second.records[0]?.runDir ?? '', 'summary.json'), 'utf8'));
    expect(summary.resumes).toBe(1);
    expect(second.records[0]?.status).toBe('done');
  });

  it('never exceeds the per-cell or the total budget', async () => {
    const project = await scratch();
    const file = await writeExperiment(project, { seeds: 3, concurrency: 3, perCellUsd: 0.1, totalUsd: 0.25 });
    const { summary, records } = await runExperiment({ loaded: loadExperimentFile(file, project.dir), dir: project.path('out') });
    for (const record of records) expect(record.costUsd).toBeLessThanOrEqual(0.1);
    const total = records.reduce((sum, record) => sum + record.costUsd, 0);
    expect(total).toBeLessThanOrEqual(0.25);
    expect(records.some((record) => record.status === 'budget_exceeded')).toBe(true);
    expect(summary.status).toBe('budget_exhausted');
    expect(summary.skippedForBudget.length + records.length).toBe(9);
  });
});
