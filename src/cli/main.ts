import { Command, CommanderError, Option } from 'commander';
import { logToStream } from '../observability/index.js';
import { registerBatchCommands } from './commands/batch-register.js';
import { registerExperimentCommands } from './commands/experiment-register.js';
import { FOLLOW_END_RULE } from './commands/ledger-follow-rule.js';
import { registerGraphCommand } from './commands/graph-register.js';
import { registerRoleCommands } from './commands/roles-register.js';
import { registerServeCommands } from './commands/serve-register.js';
import { registerStoreCommands } from './commands/store-register.js';
import type { CommandContext } from './command-context.js';
import { EXIT, reportError } from './exit-codes.js';
import { collectValues, EXPERIMENTS_OPTION_HELP } from './experiments-option.js';
import { MAX_PLAN_TASKS, MAX_TIME_SCALE, numberArgument } from './number-argument.js';
import { mayAskVersion, packageVersion } from './package-version.js';
import { CONFIG_OPTION_HELP, ROSTER_OPTION_HELP, STORE_OPTION_HELP, TIERS_OPTION_HELP } from './store-option.js';
import { processTerminal, type Terminal } from './terminal.js';

const EXIT_CODES_HELP = `
Exit codes:
  0    success (the run ended done)
  1    the run ended with failed tasks, or an internal error
  2    bad usage or invalid configuration
  3    the budget was exhausted (resume with --resume --budget-usd)
  4    the state file is missing or corrupted
  5    the state file lock could not be taken in time
  6    the run belongs to another live process (its owner is named), or was taken over meanwhile
  130  interrupted: Ctrl-C, SIGTERM, SIGHUP or a closed output (resume with --resume)

Environment:
  NO_COLOR                set to disable colour
  AGENT_TEAM_LOG_LEVEL    winston log level on stderr (default: warn)
  AGENT_TEAM_STORE        the store when no --store is given (postgres://…; default: the state file)
  AGENT_TEAM_HOST         this machine's name in runs (default: the hostname)`;

/**
 * Declares the CLI. Each action stores its exit code in `result.code`. A command's
 * implementation is imported when it runs, so `--help`, `--version` and every command
 * load only what they use (the team, the SDKs and the config schemas weigh hundreds of ms).
 * `about.version` is what `--version` prints; `main` reads it from package.json when asked.
 */
export function buildProgram(context: CommandContext, about: { version?: string | undefined } = {}): Command {
  const { terminal, cwd, result, signal } = context;
  const configOption = (): Option => new Option('-c, --config <file>', CONFIG_OPTION_HELP);
  const storeOption = (): Option => new Option('--store <url>', STORE_OPTION_HELP);
  const program = new Command('agent-team')
    .description('Run a cost-tracked team of LLM agents on a software feature.')
    .version(about.version ?? 'unknown')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (text) => terminal.out.write(text), writeErr: (text) => terminal.err.write(text) })
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team run --feature "Add user authentication with email and password"',
        '  $ agent-team status',
        '  $ agent-team ledger --follow',
        EXIT_CODES_HELP,
      ].join('\n'),
    )
    .exitOverride();

  program
    .command('run')
    .description('Run the team on a feature: plan, work, blockers, resolutions, integration, summary.')
    .option('-f, --feature <text>', 'the feature to build')
    .addOption(configOption())
    .option('--roster <file>', ROSTER_OPTION_HELP)
    .option('--tiers <file>', TIERS_OPTION_HELP)
    .addOption(
      new Option('--provider <name>', 'default provider of every role (roles may set their own)').choices([
        'sim',
        'anthropic',
        'openai',
        'cli',
      ]),
    )
    .option('--seed <n>', 'seed of the sim provider (same seed, same run)', numberArgument({ kind: 'integer' }))
    .option('--budget-usd <amount>', 'hard limit on the run cost in USD', numberArgument({ kind: 'number', min: 0.000001 }))
    .option(
      '--time-scale <factor>',
      `sim latency multiplier (0 = instant, 1 = real-time, at most ${MAX_TIME_SCALE})`,
      numberArgument({ kind: 'number', min: 0, max: MAX_TIME_SCALE }),
    )
    .option('--blocker-rate <rate>', 'share of sim tasks that raise a blocker (0..1)', numberArgument({ kind: 'number', min: 0, max: 1 }))
    .addOption(
      new Option('--plan-tasks <n>', 'sim only: plan exactly n tasks')
        .argParser(numberArgument({ kind: 'integer', min: 1, max: MAX_PLAN_TASKS }))
        .hideHelp(),
    )
    .option('--processes', 'run each role agent as its own OS process')
    .addOption(storeOption())
    .option(
      '--remote-agents <ids>',
      'role agents served by `agent-team worker` elsewhere on the same store (comma-separated); not started here',
    )
    .option(
      '--workspace [repo]',
      "agents change code in this git repository (default: the config's project_dir), each task in its own worktree, merged back with the tests",
    )
    .option('--record <cassette>', 'record every model call to a JSONL cassette (keys redacted)')
    .option('--replay <cassette>', 'answer every call from a recorded cassette, offline')
    .option('--resume', 'continue the last run (after Ctrl-C, a crash or a budget stop)')
    .option('--force', 'start a new run even though the last one did not finish')
    .option('--json', 'print the result as JSON, no progress')
    .option('--ui', 'serve a live dashboard of the run on 127.0.0.1 while it runs (its address is printed)')
    .option('--ui-port <n>', 'port of the --ui dashboard (default 0: a free one)', numberArgument({ kind: 'integer', min: 0, max: 65535 }))
    .option('--experiments <dir>', `with --ui: ${EXPERIMENTS_OPTION_HELP}`, collectValues, [] as string[])
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team run --feature "Add user authentication with email and password"',
        '  $ agent-team run --feature "Invoice PDF export" --ui',
        '  $ agent-team run --feature "Add a shopping cart" --seed 7 --time-scale 0 --json',
        '  $ agent-team run --feature "Export invoices as PDF" --budget-usd 2 --processes',
        '  $ agent-team run --feature "Add a cart" --roster no-reviewer.json --tiers cheap-tiers.yml --time-scale 0',
        '  $ agent-team run --resume --budget-usd 5',
        '  $ agent-team run --feature "Add a slugify helper" --workspace ../my-app',
        '  $ agent-team run --feature "Add a cart" --store postgres://team@db/agents --remote-agents backend-dev',
        EXIT_CODES_HELP,
      ].join('\n'),
    )
    .action(async (options: Record<string, unknown>) => {
      const { run } = await import('./commands/run.js');
      result.code = await run({ ...(options as object), cwd, terminal, signal } as Parameters<typeof run>[0]);
    });

  program
    .command('plan')
    .description('Plan a feature and forecast its tokens and cost (a simulated run in a scratch directory).')
    .requiredOption('-f, --feature <text>', 'the feature to plan')
    .addOption(configOption())
    .option('--roster <file>', ROSTER_OPTION_HELP)
    .option('--tiers <file>', TIERS_OPTION_HELP)
    .option('--seed <n>', 'seed of the simulation', numberArgument({ kind: 'integer' }))
    .option('--blocker-rate <rate>', 'share of tasks that raise a blocker (0..1)', numberArgument({ kind: 'number', min: 0, max: 1 }))
    .option('--json', 'print the plan and forecast as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ agent-team plan --feature "Add user authentication"\n  $ agent-team plan --feature "Add a shopping cart" --json\n  $ agent-team plan --feature "Add a cart" --tiers cheap-tiers.yml',
    )
    .action(async (options: Record<string, unknown>) => {
      const { plan } = await import('./commands/plan.js');
      result.code = await plan({ ...(options as object), cwd, terminal } as Parameters<typeof plan>[0]);
    });

  program
    .command('status')
    .description('Show the live state: tasks by status, agents, open blockers, budget.')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--json', 'print the state summary as JSON')
    .addHelpText('after', '\nExamples:\n  $ agent-team status\n  $ agent-team status --json')
    .action(async (options: Record<string, unknown>) => {
      const { status } = await import('./commands/status.js');
      result.code = await status({ ...(options as object), cwd, terminal } as Parameters<typeof status>[0]);
    });

  program
    .command('clean')
    .description(
      'Remove the worktrees and merged branches runs left in the repository; uncommitted work is saved on wip/<run>/<task> first.',
    )
    .option('--workspace <repo>', "the git repository to clean (default: the config's project_dir)")
    .addOption(configOption())
    .addOption(storeOption())
    .option(
      '--run <id>',
      'only this run (repeat for several); may name an interrupted run to clean it',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--force', 'discard uncommitted changes instead of saving them, and delete unmerged branches too')
    .option('--wip', 'also delete wip/<run>/* branches (saved work of stopped agents)')
    .option('--integration', 'also delete agent-team/<run>/integration once merged into one of your branches (any, with --force)')
    .option('--dry-run', 'print what would be removed and kept, changing nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team clean --dry-run',
        '  $ agent-team clean --workspace ../my-app',
        '  $ agent-team clean --run 20260105-100000-a1b2c3 --wip --json',
        '  $ agent-team clean --integration --force',
        '',
        'Exit codes:',
        '  0    cleaned (what had to stay is listed as kept)',
        '  1    a git command failed',
        '  2    bad usage, not a git repository, or --run names a run that is still live',
        '  4    the state file is corrupted (clean cannot tell whether a run is live)',
      ].join('\n'),
    )
    .action(async (options: Record<string, unknown>) => {
      const { clean } = await import('./commands/clean.js');
      result.code = await clean({ ...(options as object), cwd, terminal } as Parameters<typeof clean>[0]);
    });

  program
    .command('ledger')
    .description('Print the run ledger; --follow keeps printing new events until the run is over.')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--follow', 'keep following, through resumes, until the run is over (Ctrl-C to stop)')
    .option('--all', 'include every model call')
    .option('--json', 'print raw JSON lines')
    .addHelpText(
      'after',
      `\nExamples:\n  $ agent-team ledger --follow\n  $ agent-team ledger --json | jq 'select(.type == "model-call")'\n${FOLLOW_END_RULE}`,
    )
    .action(async (options: Record<string, unknown>) => {
      const { ledger } = await import('./commands/ledger.js');
      result.code = await ledger({ ...(options as object), cwd, terminal, signal } as Parameters<typeof ledger>[0]);
    });

  program
    .command('agent')
    .description('Run one role agent as its own process against the current run.')
    .requiredOption('--id <agent-id>', 'roster id of the agent (e.g. backend-dev)')
    .addOption(configOption())
    .addOption(storeOption())
    .addHelpText(
      'after',
      '\nExamples:\n  $ agent-team agent --id backend-dev\n  $ agent-team agent --id qa-tester --config team/orchestrator-config.json',
    )
    .action(async (options: Record<string, unknown>) => {
      const { agent } = await import('./commands/agent.js');
      result.code = await agent({ ...(options as object), cwd, terminal, signal } as Parameters<typeof agent>[0]);
    });

  program
    .command('prompt')
    .description("Print an agent's composed system prompt (base + platforms + protocol + team context).")
    .argument('<agent-id>', 'roster id of the agent')
    .addOption(configOption())
    .option('--json', 'print the parts, token count and text as JSON')
    .addHelpText('after', '\nExamples:\n  $ agent-team prompt backend-dev\n  $ agent-team prompt manager --json')
    .action(async (agentId: string, options: Record<string, unknown>) => {
      const { prompt } = await import('./commands/prompt.js');
      result.code = prompt({ ...(options as object), agentId, cwd, terminal } as Parameters<typeof prompt>[0]);
    });

  const config = program
    .command('config')
    .description('Check the configuration or print its JSON Schema.')
    .addHelpText(
      'after',
      '\nExamples:\n  $ agent-team config check\n  $ agent-team config schema --target agents > agents-config.schema.json',
    );
  config
    .command('check')
    .description('Validate orchestrator-config.json and .ai-agents/config.yml, and compose every prompt.')
    .addOption(configOption())
    .option('--json', 'print the resolved configuration as JSON')
    .addHelpText('after', '\nExamples:\n  $ agent-team config check\n  $ agent-team config check --config team/orchestrator-config.json')
    .action(async (options: Record<string, unknown>) => {
      const { configCheck } = await import('./commands/config.js');
      result.code = configCheck({ ...(options as object), cwd, terminal } as Parameters<typeof configCheck>[0]);
    });
  config
    .command('schema')
    .description('Print the JSON Schema of a config file, for editors.')
    .addOption(new Option('--target <file>', 'which file').choices(['orchestrator', 'agents']).default('orchestrator'))
    .addHelpText(
      'after',
      '\nExamples:\n  $ agent-team config schema > orchestrator-config.schema.json\n  $ agent-team config schema --target agents',
    )
    .action(async (options: { target?: string }) => {
      const { configSchema } = await import('./commands/config.js');
      result.code = configSchema({ target: options.target, terminal });
    });
  registerBatchCommands(program, context);
  registerRoleCommands(program, context);
  registerStoreCommands(program, context);
  registerServeCommands(program, context);
  registerGraphCommand(program, context);
  registerExperimentCommands(program, context);
  return program;
}

/** Where a CLI invocation runs: the process's terminal and directory unless given (tests and the server give their own). */
export interface MainOptions {
  terminal?: Terminal | undefined;
  cwd?: string | undefined;
  /** Stops the command as Ctrl-C does. */
  signal?: AbortSignal | undefined;
}

/** Runs the CLI (`argv` as in `process.argv`: node, script, then the arguments) and returns its exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const result = { code: EXIT.ok as number };
  const terminal = options.terminal ?? processTerminal();
  // Logs go to the command's stderr, so that stdout stays for results and --json output.
  logToStream(terminal.err);
  const json = argv.includes('--json');
  try {
    // package.json is read only when the version may be printed: --help and the commands skip that work.
    const version = mayAskVersion(argv) ? await packageVersion() : undefined;
    const program = buildProgram({ terminal, cwd: options.cwd ?? process.cwd(), result, signal: options.signal }, { version });
    await program.parseAsync([...argv]);
    return result.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; parse errors were already printed by commander.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return reportError(terminal, error, json);
  }
}
