import { type Command, Option } from 'commander';
import type { CommandContext } from '../command-context.js';
import { numberArgument } from '../number-argument.js';

const RUN_EXIT_CODES = [
  '',
  'Exit codes:',
  '  0    every cell ran (whatever each run ended as: see the status column)',
  '  1    an internal error',
  '  2    bad usage or an invalid experiment file, design, roster or tier map',
  '  3    the total budget ran out: some cells were not started',
  '  4    a cell record or a run state is corrupted',
  '  130  interrupted by Ctrl-C: continue with --resume (each cell runs once)',
].join('\n');

/** Declares `agent-team experiment`: designs × seeds → one table, statistics and charts. */
export function registerExperimentCommands(program: Command, context: CommandContext): void {
  const { terminal, cwd, result, signal } = context;
  const experiment = program
    .command('experiment')
    .description('Compare team designs on shared seeds: run a matrix of cells, then a report with confidence intervals.')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team experiment schema > experiment.schema.json',
        '  $ agent-team experiment plan reviewer.yml --detect 0.02',
        '  $ agent-team experiment run reviewer.yml',
        '  $ agent-team experiment report experiments/reviewer',
      ].join('\n'),
    );
  experiment
    .command('run')
    .description('Run every cell (design × seed × repetition) of an experiment file; writes results.csv and results.jsonl.')
    .argument('<file>', 'the experiment file (YAML or JSON; see `agent-team experiment schema`)')
    .option('--out <dir>', "the experiment's directory (default: experiments/<name> beside the file)")
    .option('--resume', 'continue an interrupted experiment: cells with a result are not run again')
    .option('--replay <dir>', 'an earlier experiment of the same file: every cell answers from its recorded cassette, offline')
    .option('--concurrency <n>', "cells at once (default: the file's concurrency)", numberArgument({ kind: 'integer', min: 1, max: 64 }))
    .option('--json', 'print the summary and the rows as JSON, no progress')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team experiment run reviewer.yml',
        '  $ agent-team experiment run reviewer.yml --resume',
        '  $ agent-team experiment run reviewer.yml --out /tmp/reviewer --concurrency 8 --json',
        '  $ agent-team experiment run reviewer.yml --replay experiments/reviewer --out /tmp/reviewer-replay',
        '',
        'results.csv holds no wall-clock column: on the sim at time scale 0 the same file gives the same bytes.',
        'results.jsonl adds wallMs, runId and runDir to every row. Cells on real providers record',
        'their calls to cells/<cell>/cassette.jsonl; --replay reproduces their rows without a model.',
        RUN_EXIT_CODES,
      ].join('\n'),
    )
    .action(async (file: string, options: Record<string, unknown>) => {
      const { experimentRun } = await import('./experiment.js');
      result.code = await experimentRun({ ...(options as object), file, cwd, terminal, signal } as Parameters<typeof experimentRun>[0]);
    });
  experiment
    .command('report')
    .description(
      'Per design the mean with a 95% bootstrap interval, paired differences on shared seeds, SVG charts, report.md and an HTML page.',
    )
    .argument('<dir>', "an experiment's directory (holding results.csv)")
    .option('--baseline <design>', 'the design the others are compared with (default: the first)')
    .option('--resamples <n>', 'bootstrap resamples (default 2000)', numberArgument({ kind: 'integer', min: 100, max: 100_000 }))
    .option('--json', 'print the statistics as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team experiment report experiments/reviewer',
        '  $ agent-team experiment report experiments/reviewer --baseline without-reviewer --json',
        '',
        'Resampling is seeded: the same results give the same intervals.',
        '',
        'Exit codes:',
        '  0    written',
        '  2    bad usage, an unknown --baseline, or no results.csv in the directory',
      ].join('\n'),
    )
    .action(async (dir: string, options: Record<string, unknown>) => {
      const { experimentReport } = await import('./experiment.js');
      result.code = await experimentReport({ ...(options as object), dir, cwd, terminal } as Parameters<typeof experimentReport>[0]);
    });
  experiment
    .command('plan')
    .description('Estimate money and time from a sim pilot, and the seeds needed to detect a difference at the observed variance.')
    .argument('<file>', 'the experiment file')
    .option('--pilot-seeds <n>', 'seeds of the sim pilot per design (default 5)', numberArgument({ kind: 'integer', min: 2, max: 100 }))
    .option(
      '--detect <difference>',
      'the smallest difference of the metric worth detecting (default: 10% of the baseline mean)',
      numberArgument({ kind: 'number', min: 0.000001 }),
    )
    .addOption(
      new Option('--metric <column>', 'the metric of --detect')
        .default('costUsd')
        .choices([
          'costUsd',
          'totalTokens',
          'calls',
          'parallelMs',
          'speedup',
          'tasksDone',
          'tasksFailed',
          'blockers',
          'defectsIntroduced',
          'defectsCaught',
          'defectsEscaped',
          'escapeRate',
        ]),
    )
    .option('--json', 'print the estimate as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team experiment plan reviewer.yml',
        '  $ agent-team experiment plan reviewer.yml --metric defectsEscaped --detect 0.5 --pilot-seeds 8',
        '',
        'The pilot runs on the sim at time scale 0 in a scratch directory; nothing in the project is written.',
        '',
        'Exit codes:',
        '  0    estimated',
        '  2    bad usage or an invalid experiment file',
      ].join('\n'),
    )
    .action(async (file: string, options: Record<string, unknown>) => {
      const { experimentPlan } = await import('./experiment.js');
      result.code = await experimentPlan({ ...(options as object), file, cwd, terminal } as Parameters<typeof experimentPlan>[0]);
    });
  experiment
    .command('schema')
    .description('Print the JSON Schema of the experiment file, for editors.')
    .addHelpText('after', '\nExamples:\n  $ agent-team experiment schema > experiment.schema.json')
    .action(async () => {
      const { experimentSchema } = await import('./experiment.js');
      result.code = experimentSchema({ terminal });
    });
}
