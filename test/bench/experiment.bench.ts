/**
 * An experiment of 3 designs (with reviewer, without reviewer, cheap tiers) × 20 seeds
 * on the sim at time scale 0, in the system's temp directory (target: ≤ 60 s on this
 * machine), then its report: prints the wall time and the per-design table. Then the
 * dashboard's experiment page on a sweep of 3,000 cells (its rows copied to 1,000 seeds per
 * design): the statistics computed, and kept for the next load of the same results.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { designTable, loadExperimentFile, pairedTable, runExperiment, writeExperimentReport } from '../../src/experiment/index.js';
import { experimentSource } from '../../src/server/dashboard-experiment-source.js';
import { ExperimentDetails } from '../../src/server/experiment-details.js';
import { writeExperiment } from '../support/experiment-fixture.js';
import { tempProject } from '../support/temp-project.js';

/** Runs the benchmark experiment and returns its figures. */
export async function benchExperiment(): Promise<Record<string, number>> {
  const project = await tempProject('agent-team-bench-experiment-');
  try {
    const file = await writeExperiment(project, { seeds: 20, concurrency: 4, perCellUsd: 1, totalUsd: 100 });
    const started = performance.now();
    const { summary } = await runExperiment({ loaded: loadExperimentFile(file, project.dir), dir: project.path('out') });
    const runMs = performance.now() - started;
    const reportStarted = performance.now();
    const { stats } = await writeExperimentReport({ dir: project.path('out') });
    const reportMs = performance.now() - reportStarted;
    const figures = {
      experiment_cells: summary.finished,
      experiment_wall_ms: Math.round(runMs),
      experiment_ms_per_cell: Math.round(runMs / summary.finished),
      experiment_report_ms: Math.round(reportMs),
      experiment_spent_usd: summary.spentUsd,
    };
    console.log(`Experiment: 3 designs × 20 seeds on the sim at time scale 0, 4 cells at once (${summary.status})`);
    console.log(
      `  wall ${(runMs / 1000).toFixed(1)} s for ${summary.finished} runs (${figures.experiment_ms_per_cell} ms per run; target: ≤ 60 s), ` +
        `report ${Math.round(reportMs)} ms, forecast spend $${summary.spentUsd.toFixed(4)}`,
    );
    console.log();
    console.log(designTable(stats, ['costUsd', 'defectsIntroduced', 'defectsCaught', 'defectsEscaped', 'parallelMs', 'calls']));
    console.log();
    console.log(pairedTable(stats, ['costUsd', 'defectsEscaped', 'parallelMs', 'calls']));
    const page = await experimentPageCost(project.path('out'));
    console.log();
    console.log(
      `Dashboard experiment page, ${page.cells} cells: statistics computed in ${Math.round(page.computeMs)} ms; ` +
        `the next load of the same results ${page.keptMs.toFixed(2)} ms`,
    );
    return {
      ...figures,
      experiment_page_3000_cells_ms: Math.round(page.computeMs),
      experiment_page_kept_ms: Number(page.keptMs.toFixed(2)),
    };
  } finally {
    await project.cleanup();
  }
}

/** The experiment's rows copied to 1,000 seeds per design, then its page's statistics computed once and loaded again. */
async function experimentPageCost(dir: string): Promise<{ cells: number; computeMs: number; keptMs: number }> {
  const file = join(dir, 'results.jsonl');
  const rows = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const seeds = 1000;
  const designs = [...new Set(rows.map((row) => row.design))];
  const wide = designs.flatMap((design) => {
    const own = rows.filter((row) => row.design === design);
    return Array.from({ length: seeds }, (_, index) => ({ ...(own[index % own.length] as object), seed: index + 1 }));
  });
  // Without the summary the results are those of a running experiment, as a page follows it.
  await writeFile(file, `${wide.map((row) => JSON.stringify(row)).join('\n')}\n`);
  const [found] = await experimentSource([join(dir, '..')]).list();
  if (found === undefined) throw new Error(`no experiment found in ${dir}`);
  const stamp = await experimentSource([join(dir, '..')]).stampOf(found);
  const details = new ExperimentDetails();
  const computeStarted = performance.now();
  await details.detail(found.dir, stamp);
  const computeMs = performance.now() - computeStarted;
  const keptStarted = performance.now();
  await details.detail(found.dir, stamp);
  return { cells: wide.length, computeMs, keptMs: performance.now() - keptStarted };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchExperiment();
}
