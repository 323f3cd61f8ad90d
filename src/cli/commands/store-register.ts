import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { CONFIG_OPTION_HELP, STORE_OPTION_HELP } from '../store-option.js';

/** Declares `agent-team worker` and `agent-team export`, the commands of a team whose state may live in PostgreSQL. */
export function registerStoreCommands(program: Command, context: CommandContext): void {
  const { terminal, cwd, result, signal } = context;
  program
    .command('worker')
    .description("Serve role agents of the team's live run from this machine, run after run (the run is coordinated elsewhere).")
    .option('--agents <ids>', "roster ids to serve, comma-separated, of each run's roster (default: every role agent of it)")
    .option('--once', 'leave after the first run served instead of waiting for the next')
    .option('--store <url>', STORE_OPTION_HELP)
    .option('-c, --config <file>', CONFIG_OPTION_HELP)
    .option('--json', 'print one JSON line per event')
    .addHelpText(
      'after',
      [
        '',
        'The run is started elsewhere with the same config and store, naming the agents served here:',
        '  $ agent-team run --feature "Add a cart" --store postgres://team@db/agents --remote-agents backend-dev,qa-tester',
        '',
        'Examples:',
        '  $ agent-team worker --agents backend-dev --store postgres://team@db.internal/agents',
        '  $ AGENT_TEAM_STORE=postgres://team@db/agents?team=shop agent-team worker --agents backend-dev,qa-tester --once',
        '',
        'A worker whose heartbeat stops (killed, machine lost) has its tasks and budget holds returned by the',
        'run after three heartbeats; a late report of a task taken over meanwhile is refused.',
        'Set AGENT_TEAM_HOST to name this machine where hostnames repeat (containers).',
        '',
        'Exit codes:',
        '  0    --once: the run it served is over',
        '  2    bad usage or invalid configuration',
        '  4    the state is corrupted or the store cannot be reached',
        '  130  interrupted: Ctrl-C or SIGTERM (its tasks go back to ready)',
      ].join('\n'),
    )
    .action(async (options: Record<string, unknown>) => {
      const { worker } = await import('./worker.js');
      result.code = await worker({ ...(options as object), cwd, terminal, signal } as Parameters<typeof worker>[0]);
    });

  program
    .command('export')
    .description('Write the current run as files: team-communication.json, run_ledger.jsonl, summary.json, report.md.')
    .option('--out <dir>', "directory to write (default: the run's directory under runs_dir)")
    .option('--store <url>', STORE_OPTION_HELP)
    .option('-c, --config <file>', CONFIG_OPTION_HELP)
    .option('--json', 'print what was written as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team export --store postgres://team@db.internal/agents --out ./run-snapshot',
        '  $ agent-team export --json',
        '',
        'Exit codes:',
        '  0    written',
        '  2    bad usage or invalid configuration',
        '  4    there is no run in the store, or its state is corrupted',
      ].join('\n'),
    )
    .action(async (options: Record<string, unknown>) => {
      const { exportRun } = await import('./export.js');
      result.code = await exportRun({ ...(options as object), cwd, terminal } as Parameters<typeof exportRun>[0]);
    });
}
