import { type Command, Option } from 'commander';
import type { DiagramFormat } from '../../report/index.js';
import type { CommandContext } from '../command-context.js';
import { CONFIG_OPTION_HELP, STORE_OPTION_HELP } from '../store-option.js';

// Spelled out here (checked against the report layer's type) so that `--help` loads no drawing code.
const FORMATS = ['mermaid', 'dot', 'svg'] as const satisfies readonly DiagramFormat[];

/** Declares `agent-team graph`: pictures of a plan without a browser. */
export function registerGraphCommand(program: Command, context: CommandContext): void {
  const { terminal, cwd, result } = context;
  program
    .command('graph')
    .description('Draw the plan — tasks, dependencies, status, critical path — as Mermaid, Graphviz DOT or SVG.')
    .option('--run <id>', 'a recorded run (its folder under runs_dir); default: the live run in the store')
    .addOption(new Option('--format <format>', 'what to draw').choices([...FORMATS]).default('mermaid'))
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--store <url>', STORE_OPTION_HELP)
    .option('-c, --config <file>', CONFIG_OPTION_HELP)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  $ agent-team graph                                  # Mermaid, paste into a Markdown file',
        '  $ agent-team graph --format dot | dot -Tpng > plan.png',
        '  $ agent-team graph --run 20261202-162435-76203f --format svg --out plan.svg',
        '',
        'Every run also leaves plan.svg, timeline.svg and cost-by-agent.svg beside its report.md.',
        '',
        'Exit codes:',
        '  0    drawn',
        '  2    bad usage, an unknown --run, or invalid configuration',
        '  4    there is no run in the store, or its state is corrupted',
      ].join('\n'),
    )
    .action(async (options: Record<string, unknown>) => {
      const { graph } = await import('./graph.js');
      result.code = await graph({ ...(options as object), cwd, terminal } as Parameters<typeof graph>[0]);
    });
}
