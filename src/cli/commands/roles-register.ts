/** Declares the role-agent commands (roles, spawn, queue run, init-config, findings, errors, monitor) on the program. */
import { Option, type Command } from 'commander';
import { MEMORY_TYPES } from '../../memory/index.js';
import type { CommandContext } from '../command-context.js';
import { MAX_TIME_SCALE, MAX_TIMER_SECONDS, numberArgument } from '../number-argument.js';
import { DEFAULT_PROJECT } from './default-project.js';

const ROLE_EXIT_CODES = `
Exit codes:
  0    success (every agent completed)
  1    an agent failed or timed out, or an internal error
  2    bad usage, an unknown role, or an invalid agents.json
  4    the memory file is corrupted (the message names the line)
  5    the memory file lock could not be taken in time
  130  interrupted`;

const examples = (...lines: string[]): string => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`;

/** Adds the role-agent commands to `program`; each action stores its exit code in `result.code`. */
export function registerRoleCommands(program: Command, context: CommandContext): void {
  const { terminal, cwd, result, signal } = context;
  const configOption = (): Option => new Option('-c, --config <file>', 'orchestrator-config.json to use (project directory, providers)');
  const projectOption = (): Option => new Option('-p, --project <name>', 'project whose memory the agents share').default(DEFAULT_PROJECT);
  const agentOption = (): Option =>
    new Option(
      '--agent <spec>',
      "provider and model: sim, sim:<model>, anthropic:<model>, openai:<model>, claude, gemini, auggie, cli:[…] (default: the config's provider)",
    );
  const seedOption = (): Option =>
    new Option('--seed <n>', 'seed of the sim provider').argParser(numberArgument({ kind: 'integer', min: 0 }));
  const timeScaleOption = (): Option =>
    new Option('--time-scale <factor>', 'sim latency multiplier (0 = instant)').argParser(
      numberArgument({ kind: 'number', min: 0, max: MAX_TIME_SCALE }),
    );
  const options = (raw: Record<string, unknown>): object => ({ ...raw, cwd, terminal });

  program
    .command('roles')
    .description('List the roles a spawned or queued agent can take, and what each saves to memory.')
    .option('--json', 'print the roles as JSON')
    .addHelpText('after', examples('agent-team roles', 'agent-team roles --json'))
    .action(async (raw: Record<string, unknown>) => {
      const { roles } = await import('./roles.js');
      result.code = roles(options(raw) as Parameters<typeof roles>[0]);
    });

  program
    .command('spawn')
    .description("Run one role agent on a task with the project's shared memory (in the background unless --wait).")
    .argument('<role>', 'orchestrator, test, code, review, docs, debug or custom')
    .argument('<directory>', 'where the agent works')
    .argument('<task>', 'what the agent must do')
    .option('--wait', 'work in the foreground and print the summary and saved memories')
    .addOption(projectOption())
    .addOption(agentOption())
    .addOption(configOption())
    .addOption(seedOption())
    .addOption(timeScaleOption())
    .addOption(new Option('--id <agent-id>', 'agent id (set by a background spawn for its process)').hideHelp())
    .option('--json', 'print the result (or the background id and pid) as JSON')
    .addHelpText(
      'after',
      examples(
        'agent-team spawn test ./tests "Write unit tests for the auth module" --wait',
        'agent-team spawn code ./src "Implement the auth module" --project auth',
        'agent-team spawn review . "Review auth for security issues" --agent anthropic:claude-sonnet-5 --wait',
      ) + ROLE_EXIT_CODES,
    )
    .action(async (role: string, directory: string, task: string, raw: Record<string, unknown>) => {
      const { spawn } = await import('./spawn.js');
      result.code = await spawn({ ...options(raw), role, directory, task, signal } as Parameters<typeof spawn>[0]);
    });

  const queue = program
    .command('queue')
    .description('Run role agents from a file on a worker queue.')
    .addHelpText('after', examples('agent-team queue run agents.json --workers 3'));
  queue
    .command('run')
    .description('Run every agent of agents.json ([{"role", "directory", "task"}]) with N workers; they share the project\'s memory.')
    .argument('<file>', 'agents.json (write an example with `agent-team init-config`)')
    .addOption(new Option('-w, --workers <n>', 'agents running at once').argParser(numberArgument({ kind: 'integer', min: 1 })).default(3))
    .addOption(
      new Option('-t, --timeout <seconds>', 'time limit per agent').argParser(
        numberArgument({ kind: 'number', min: 0.001, max: MAX_TIMER_SECONDS, unit: 'seconds' }),
      ),
    )
    .addOption(projectOption())
    .addOption(agentOption())
    .addOption(configOption())
    .addOption(seedOption())
    .addOption(timeScaleOption())
    .option('--json', 'print the outcome of every agent as JSON, no live lines')
    .addHelpText(
      'after',
      examples(
        'agent-team queue run agents.json --workers 3',
        'agent-team queue run agents.json --project user-service --workers 2 --timeout 300',
        'agent-team queue run agents.json --workers 1 --agent sim --json',
      ) + ROLE_EXIT_CODES,
    )
    .action(async (file: string, raw: Record<string, unknown>) => {
      const { queueRun } = await import('./queue-run.js');
      result.code = await queueRun({ ...options(raw), file, signal } as Parameters<typeof queueRun>[0]);
    });

  program
    .command('init-config')
    .description('Write an example agents.json for `agent-team queue run`.')
    .option('-o, --output <file>', 'where to write it', 'agents.json')
    .option('--force', 'overwrite the file if it exists')
    .addHelpText('after', examples('agent-team init-config -o agents.json', 'agent-team init-config -o team/agents.json --force'))
    .action(async (raw: Record<string, unknown>) => {
      const { initConfig } = await import('./init-config.js');
      result.code = await initConfig(options(raw) as Parameters<typeof initConfig>[0]);
    });

  program
    .command('findings')
    .description("Show what agents saved to a project's memory, newest first.")
    .addOption(projectOption())
    .addOption(new Option('-n, --limit <n>', 'most memories shown').argParser(numberArgument({ kind: 'integer', min: 1 })).default(10))
    .addOption(new Option('--type <type>', 'only memories of this type').choices(MEMORY_TYPES))
    .option('-s, --search <text>', 'most relevant to this text first')
    .addOption(configOption())
    .option('--json', 'print the memories as JSON')
    .addHelpText(
      'after',
      examples(
        'agent-team findings --project auth --limit 10',
        'agent-team findings --project auth --type decision --json',
        'agent-team findings --project auth --search "session expiry"',
      ),
    )
    .action(async (raw: Record<string, unknown>) => {
      const { findings } = await import('./findings.js');
      result.code = await findings(options(raw) as Parameters<typeof findings>[0]);
    });

  program
    .command('errors')
    .description('Show error memories of a project: unresolved first, then those a debug agent resolved.')
    .addOption(projectOption())
    .addOption(new Option('-n, --limit <n>', 'most errors shown').argParser(numberArgument({ kind: 'integer', min: 1 })))
    .addOption(configOption())
    .option('--json', 'print the errors as JSON, each with `resolved`')
    .addHelpText('after', examples('agent-team errors --project auth', 'agent-team errors --project auth --json'))
    .action(async (raw: Record<string, unknown>) => {
      const { errors } = await import('./errors.js');
      result.code = await errors(options(raw) as Parameters<typeof errors>[0]);
    });

  program
    .command('monitor')
    .description('Watch agent activity live: running agents and the newest memories (Ctrl-C to quit).')
    .addOption(projectOption())
    .addOption(
      new Option('-i, --interval <seconds>', 'refresh interval')
        .argParser(numberArgument({ kind: 'number', min: 0.2, max: MAX_TIMER_SECONDS, unit: 'seconds' }))
        .default(5),
    )
    .addOption(
      new Option('-n, --limit <n>', 'most recent memories shown').argParser(numberArgument({ kind: 'integer', min: 1 })).default(10),
    )
    .option('--once', 'print one snapshot and exit')
    .addOption(configOption())
    .addHelpText('after', examples('agent-team monitor --project auth --interval 5', 'agent-team monitor --project auth --once'))
    .action(async (raw: Record<string, unknown>) => {
      const { monitor } = await import('./monitor.js');
      result.code = await monitor({ ...options(raw), signal } as Parameters<typeof monitor>[0]);
    });
}
