/**
 * An experiment of 3 designs (with reviewer, without reviewer, cheap tiers) × 20 seeds
 * on the sim at time scale 0, in the system's temp directory (target: ≤ 60 s on this
 * machine), then its report: prints the wall time and the per-design table.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { designTable, loadExperimentFile, pairedTable, runExperiment, writeExperimentReport } from '../../src/experiment/index.js';
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
    return figures;
  } finally {
    await project.cleanup();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchExperiment();
}
