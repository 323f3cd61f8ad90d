import { Option, type Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { MAX_TIMER_SECONDS, numberArgument } from '../number-argument.js';
import { BATCH_DEFAULTS } from './batch-defaults.js';

const BATCH_EXIT_CODES = `
Exit codes:
  0    every job completed
  1    some job failed, timed out or was cancelled (finish with --resume)
  2    bad input: tasks file, CSV, tags, agents, options or configuration
  130  interrupted (finish with: agent-team batch run --resume --run-dir DIR)`;

const AGENT_SPECS = `
Agents (the "agent" of a task, or --agent):
  sim, sim:<model>               simulated answers, priced as <model> (no API call)
  anthropic:<model>, openai:<model>
  claude, gemini, auggie         agent CLIs on PATH, prompt passed with -p
  cli:["cmd","arg","{prompt}"]   any command; the prompt is one argument, never a shell
  <roster agent id>              a role from the team config (its provider and model)`;

/** Declares `agent-team batch run | collect | status`; each action stores its exit code in `result.code`. */
export function registerBatchCommands(program: Command, context: CommandContext): void {
  const { terminal, cwd, result, signal } = context;
  const batch = program
    .command('batch')
    .description('Run many independent prompts on agents at once, with timeouts and retries, into a run directory.')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ agent-team batch run --tasks tasks.json --concurrency 4 --timeout 120\n' +
        '  $ agent-team batch status --run-dir .agent-runs/2026-11-22_12-34-56 --watch\n' +
        '  $ agent-team batch collect --run-dir .agent-runs/2026-11-22_12-34-56',
    );

  batch
    .command('run')
    .description('Run a batch of tasks concurrently; prints the new run directory on stdout (progress goes to stderr).')
    .addOption(
      new Option('--tasks <file>', 'JSON array of tasks: {agent, prompt, tag?, timeout?, retries?, schema?}').conflicts(['csv', 'stdin']),
    )
    .addOption(new Option('--csv <file>', 'CSV with a header row: agent,prompt[,tag,timeout,retries,schema]').conflicts(['stdin']))
    .option('--stdin', 'read one prompt per line from stdin (needs --agent)')
    .option('--agent <spec>', 'the agent of every --stdin prompt (see Agents below)')
    .option(
      '--concurrency <n>',
      `most jobs running at once (default: ${BATCH_DEFAULTS.concurrency})`,
      numberArgument({ kind: 'integer', min: 1 }),
    )
    .option(
      '--timeout <seconds>',
      `per-job time limit; a task's "timeout" overrides it (default: ${BATCH_DEFAULTS.timeoutSeconds})`,
      numberArgument({ kind: 'number', above: 0, max: MAX_TIMER_SECONDS, unit: 'seconds' }),
    )
    .option(
      '--retries <n>',
      `extra attempts after a failure or timeout; a task's "retries" overrides it (default: ${BATCH_DEFAULTS.retries})`,
      numberArgument({ kind: 'integer', min: 0 }),
    )
    .option('--run-dir <dir>', 'where the new run directory is created (default: .agent-runs); with --resume, the run directory to finish')
    .addOption(
      new Option('--resume', 'rerun the jobs of --run-dir that did not complete, keeping the others').conflicts(['tasks', 'csv', 'stdin']),
    )
    .option(
      '-c, --config <file>',
      'orchestrator-config.json for roster agents, CLI settings and prices (default: ./orchestrator-config.json, else built-in)',
    )
    .option('--json', 'print the run directory and summary as JSON at the end, no progress')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ agent-team batch run --tasks tasks.json --concurrency 4 --timeout 120 --retries 1\n' +
        '  $ agent-team batch run --csv prompts.csv --run-dir runs --json\n' +
        "  $ printf 'Summarize RFC 9110\\nSummarize RFC 9112\\n' | agent-team batch run --stdin --agent sim:claude-haiku-4-5\n" +
        '  $ agent-team batch run --resume --run-dir .agent-runs/2026-11-22_12-34-56\n' +
        '\nThe run directory holds tasks.json, run_ledger.jsonl (one line per finished job), summary.json,\n' +
        'and jobs/<tag>.out (output, or the error) + jobs/<tag>.json (status, times, usage, cost) per job.\n' +
        `${AGENT_SPECS}\n${BATCH_EXIT_CODES}`,
    )
    .action(async (options: Record<string, unknown>) => {
      const { batchRun } = await import('./batch.js');
      result.code = await batchRun({ ...(options as object), cwd, terminal, signal } as Parameters<typeof batchRun>[0]);
    });

  batch
    .command('collect')
    .description('Gather every job output of a run into combined.json (task order) and print its path.')
    .requiredOption('--run-dir <dir>', 'the run directory that `batch run` printed')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ agent-team batch collect --run-dir .agent-runs/2026-11-22_12-34-56\n' +
        '  $ jq -r \'.[] | select(.status == "completed") | .output\' "$(agent-team batch collect --run-dir DIR)"\n' +
        '\ncombined.json is an array of {tag, output_path, output, status}, for the jobs that have an output file.',
    )
    .action(async (options: Record<string, unknown>) => {
      const { batchCollect } = await import('./batch.js');
      result.code = await batchCollect({ ...(options as object), cwd, terminal } as Parameters<typeof batchCollect>[0]);
    });

  batch
    .command('status')
    .description('Show a run: jobs by status and the ones running; --watch follows it until it ends.')
    .requiredOption('--run-dir <dir>', 'the run directory that `batch run` printed')
    .option('--watch', 'keep showing changes until the batch ends (Ctrl-C to stop)')
    .option('--json', 'print JSON (with --watch, one line per change)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ agent-team batch status --run-dir .agent-runs/2026-11-22_12-34-56\n' +
        '  $ agent-team batch status --run-dir .agent-runs/2026-11-22_12-34-56 --watch\n' +
        "  $ agent-team batch status --run-dir DIR --json | jq '.byStatus'",
    )
    .action(async (options: Record<string, unknown>) => {
      const { batchStatus } = await import('./batch.js');
      result.code = await batchStatus({ ...(options as object), cwd, terminal, signal } as Parameters<typeof batchStatus>[0]);
    });
}
