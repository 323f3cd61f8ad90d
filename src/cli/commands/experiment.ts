import { join, resolve } from 'node:path';
import {
  designTable,
  type ExperimentEvent,
  experimentJsonSchema,
  formatInterval,
  loadExperimentFile,
  type MetricColumn,
  pairedTable,
  planExperiment,
  runExperiment,
  writeExperimentReport,
} from '../../experiment/index.js';
import { formatDuration } from '../../report/index.js';
import { EXIT } from '../exit-codes.js';
import { interruptSignal } from '../interrupt.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';

/** Options of `agent-team experiment run`. */
export interface ExperimentRunOptions {
  file: string;
  out?: string | undefined;
  resume?: boolean | undefined;
  /** `--replay DIR`: an earlier experiment whose cells' cassettes answer every call. */
  replay?: string | undefined;
  concurrency?: number | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  /** Supplied by tests; the CLI uses Ctrl-C. */
  signal?: AbortSignal | undefined;
}

function progressLine(terminal: Terminal, event: Extract<ExperimentEvent, { type: 'cell-end' }>): string {
  const width = String(event.total).length;
  const count = `[${String(event.done).padStart(width)}/${event.total}]`;
  const where = `${event.cell.design} seed ${event.cell.seed}${event.cell.repetition > 1 ? ` rep ${event.cell.repetition}` : ''}`;
  const what =
    event.record !== null
      ? `${event.record.status}, $${event.record.costUsd.toFixed(4)}` +
        (event.record.defectsEscaped === null ? '' : `, ${event.record.defectsEscaped} defect(s) escaped`)
      : event.outcome === 'stopped'
        ? paint(terminal, 'yellow', 'stopped (continues on --resume)')
        : paint(terminal, 'yellow', 'not started: the total budget is spent');
  const eta = event.etaMs === null ? '' : `, ETA ${formatDuration(event.etaMs)}`;
  return `${count} ${where}: ${what} — spent $${event.spentUsd.toFixed(4)}${eta}`;
}

/** `agent-team experiment run`: every cell of an experiment file, with progress; results.csv and results.jsonl. */
export async function experimentRun(options: ExperimentRunOptions): Promise<number> {
  const { terminal } = options;
  const loaded = loadExperimentFile(options.file, options.cwd);
  const dir = options.out === undefined ? join(loaded.dir, 'experiments', loaded.spec.name) : resolve(options.cwd, options.out);
  const interrupt =
    options.signal === undefined
      ? interruptSignal({
          onFirst: () =>
            terminal.err.write('\nStopping: running cells stop cleanly and continue on --resume… (Ctrl-C again to quit at once)\n'),
          everyEnding: true,
        })
      : undefined;
  try {
    const { summary, records } = await runExperiment({
      loaded,
      dir,
      resume: options.resume,
      concurrency: options.concurrency,
      replayFrom: options.replay === undefined ? undefined : resolve(options.cwd, options.replay),
      signal: options.signal ?? interrupt?.signal,
      onEvent: (event) => {
        if (options.json === true) return;
        if (event.type === 'experiment-start') {
          println(
            terminal,
            paint(
              terminal,
              'bold',
              `Experiment ${loaded.spec.name}: ${event.toRun} of ${event.total} cells to run, ${event.concurrency} at once`,
            ) + (event.resumed ? ' (resumed)' : ''),
          );
          println(terminal, `  directory ${event.dir}`);
        } else if (event.type === 'cell-end') println(terminal, progressLine(terminal, event));
      },
    });
    if (options.json === true) printJson(terminal, { dir, summary, records });
    else {
      println(terminal);
      println(
        terminal,
        paint(terminal, 'bold', `Experiment ${summary.name}: ${summary.status}`) +
          ` — ${summary.finished} of ${summary.cells} cells, $${summary.spentUsd.toFixed(4)} spent`,
      );
      println(terminal, `  results   ${join(dir, 'results.csv')} (and results.jsonl)`);
      if (summary.skippedForBudget.length > 0)
        println(
          terminal,
          `  budget    ${summary.skippedForBudget.length} cell(s) not started: the total of $${summary.budget.totalUsd} is spent`,
        );
      if (summary.status === 'interrupted') println(terminal, `Continue with: agent-team experiment run ${options.file} --resume`);
      else println(terminal, `Report with: agent-team experiment report ${dir}`);
    }
    if (summary.status === 'interrupted') return EXIT.interrupted;
    return summary.status === 'budget_exhausted' ? EXIT.budgetExceeded : EXIT.ok;
  } finally {
    interrupt?.dispose();
  }
}

/** Options of `agent-team experiment report`. */
export interface ExperimentReportOptions {
  dir: string;
  baseline?: string | undefined;
  resamples?: number | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/** `agent-team experiment report`: statistics, charts, report.md and report.html in the experiment's directory. */
export async function experimentReport(options: ExperimentReportOptions): Promise<number> {
  const { terminal } = options;
  const dir = resolve(options.cwd, options.dir);
  const { stats, files } = await writeExperimentReport({ dir, baseline: options.baseline, bootstrap: { resamples: options.resamples } });
  if (options.json === true) {
    printJson(terminal, { files, stats });
    return EXIT.ok;
  }
  println(terminal, paint(terminal, 'bold', 'Designs (mean [95% bootstrap interval])'));
  println(terminal, designTable(stats));
  println(terminal);
  println(terminal, paint(terminal, 'bold', `Paired differences with ${stats.baseline} (* : the interval excludes 0)`));
  println(terminal, pairedTable(stats));
  println(terminal);
  println(terminal, `  report    ${files.markdown}`);
  println(terminal, `  page      ${files.html}`);
  println(terminal, `  charts    ${files.charts.length} SVG files in ${dir}`);
  return EXIT.ok;
}

/** Options of `agent-team experiment plan`. */
export interface ExperimentPlanOptions {
  file: string;
  pilotSeeds?: number | undefined;
  detect?: number | undefined;
  metric?: string | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/** `agent-team experiment plan`: money, time and seeds needed, from a sim pilot. */
export async function experimentPlan(options: ExperimentPlanOptions): Promise<number> {
  const { terminal } = options;
  const loaded = loadExperimentFile(options.file, options.cwd);
  const forecast = await planExperiment({
    loaded,
    pilotSeeds: options.pilotSeeds,
    metric: options.metric as MetricColumn | undefined,
    difference: options.detect,
  });
  if (options.json === true) {
    printJson(terminal, forecast);
    return EXIT.ok;
  }
  println(
    terminal,
    paint(terminal, 'bold', `Experiment ${loaded.spec.name}: forecast from a sim pilot on seeds ${forecast.pilotSeeds.join(', ')}`),
  );
  for (const design of forecast.designs) {
    println(
      terminal,
      `  ${design.design.padEnd(24)} $${formatInterval(design.costPerRun)} per run × ${design.runs} runs = $${design.costUsd.toFixed(4)}, ` +
        `${formatDuration(design.modelMsPerRun)} model time per run`,
    );
  }
  println(
    terminal,
    `  total     $${forecast.costUsd.toFixed(4)}, about ${formatDuration(forecast.modelMs)} of model time at the file's concurrency`,
  );
  println(
    terminal,
    `  budget    $${forecast.budget.perCellUsd} per cell, $${forecast.budget.totalUsd} in all: ${forecast.budget.fits ? 'fits' : paint(terminal, 'yellow', 'does not fit')}`,
  );
  const { power } = forecast;
  println(
    terminal,
    `  seeds     to detect a difference of ${power.difference.toPrecision(3)} in ${power.metric} with ${power.baseline} (5% two-sided, 80% power):`,
  );
  for (const design of power.designs) {
    println(
      terminal,
      `            ${design.design}: sd of paired differences ${design.sdOfDifferences.toPrecision(3)} → ${design.seedsNeeded} seeds`,
    );
  }
  println(
    terminal,
    `            needed ${power.seedsNeeded}, planned ${power.seedsPlanned}${power.seedsPlanned >= power.seedsNeeded ? '' : paint(terminal, 'yellow', ' (too few)')}`,
  );
  return EXIT.ok;
}

/** `agent-team experiment schema`: the experiment file's JSON Schema. */
export function experimentSchema(options: { terminal: Terminal }): number {
  printJson(options.terminal, experimentJsonSchema());
  return EXIT.ok;
}
