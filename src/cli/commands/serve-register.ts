import { type Command, Option } from 'commander';
import type { CommandContext } from '../command-context.js';
import { MAX_TIME_SCALE, numberArgument } from '../number-argument.js';
import { CONFIG_OPTION_HELP, STORE_OPTION_HELP } from '../store-option.js';
import { collectValues, EXPERIMENTS_OPTION_HELP } from '../experiments-option.js';

/** Declares `agent-team serve`, the orchestrator service over HTTP. */
export function registerServeCommands(program: Command, context: CommandContext): void {
  const { terminal, cwd, result, signal } = context;
  program
    .command('serve')
    .description('Serve the orchestrator API over HTTP: submit, plan, execute, watch and cancel team runs, one per task_id.')
    .option('--port <n>', 'port to listen on (0: any free port)', numberArgument({ kind: 'integer', min: 0, max: 65535 }), 8080)
    .option('--host <host>', 'address to listen on; beyond loopback AGENT_TEAM_API_TOKEN is required', '127.0.0.1')
    .option('--store <url>', STORE_OPTION_HELP)
    .option('-c, --config <file>', CONFIG_OPTION_HELP)
    .option('--data-dir <dir>', "task records and, on the file store, each task's state (default: ./.agent-team-server)")
    .addOption(
      new Option('--max-body-bytes <n>', 'largest request body accepted; larger ones get 413 (default: 262144)').argParser(
        numberArgument({ kind: 'integer', min: 1024 }),
      ),
    )
    .option(
      '--time-scale <factor>',
      `sim latency multiplier of every run (0 = instant, at most ${MAX_TIME_SCALE})`,
      numberArgument({ kind: 'number', min: 0, max: MAX_TIME_SCALE }),
    )
    .option(
      '--webhook <url>',
      "POST each task's status changes to this URL, signed with AGENT_TEAM_WEBHOOK_SECRET (repeatable)",
      (url: string, urls: string[]) => [...urls, url],
      [] as string[],
    )
    .option(
      '--callback-host <host>',
      "a host a task's metadata.callback_url may name: name, *.domain or IP, with an optional :port (repeatable; default: any host that is not local)",
      collectValues,
      [] as string[],
    )
    .option('--experiments <dir>', EXPERIMENTS_OPTION_HELP, collectValues, [] as string[])
    .option('--json', 'print the address as one JSON line once listening')
    .addHelpText(
      'after',
      [
        '',
        'Routes: POST /orchestrate, POST /execute/{task_id}, GET /tasks/{task_id}, GET /tasks/{task_id}/events (SSE),',
        'POST /tasks/{task_id}/cancel, GET /agents, GET /openapi.json; /healthz and /readyz need no token.',
        'Dashboard: GET /ui (runs, blockers, compare) and GET /ui/experiments (./experiments and each --experiments DIR).',
        '',
        'Examples:',
        '  $ agent-team serve',
        '  $ AGENT_TEAM_API_TOKEN=$(openssl rand -hex 32) agent-team serve --host 0.0.0.0 --port 8080',
        '  $ agent-team serve --store postgres://team@db.internal/agents --port 0 --json',
        "  $ agent-team serve --experiments ../bench/experiments   # the dashboard's /ui/experiments shows them too",
        '  $ agent-team serve --callback-host hooks.example.com --callback-host "*.ci.example.com"',
        '  $ curl -H "Authorization: Bearer $AGENT_TEAM_API_TOKEN" http://127.0.0.1:8080/agents',
        '',
        'Environment:',
        '  AGENT_TEAM_API_TOKEN   bearer token every request but /healthz and /readyz must carry (at least 16 characters);',
        '                         required to listen beyond loopback. Never given as a flag, never printed or logged.',
        '  AGENT_TEAM_WEBHOOK_URLS    webhook receivers, comma separated (added to --webhook).',
        '  AGENT_TEAM_WEBHOOK_SECRET  HMAC key of every delivery (at least 16 characters); required with any receiver,',
        "                             and for a task's metadata.callback_url. Never printed or logged.",
        "  AGENT_TEAM_WEBHOOK_CALLBACK_HOSTS  hosts a task's callback_url may name, comma separated (added to --callback-host).",
        '                             Without any, a callback may name any host but localhost and loopback, private,',
        '                             link-local or reserved IP addresses.',
        '',
        'Exit codes:',
        '  0    stopped by Ctrl-C or SIGTERM (runs it executed are left interrupted, resumable)',
        '  2    bad usage or configuration: a host beyond loopback without a token, a short token, a port in use,',
        '       a webhook without a secret or with a short one, a callback host that is not a host',
        '  4    the state is corrupted',
      ].join('\n'),
    )
    .action(async (options: Record<string, unknown>) => {
      const { serve } = await import('./serve.js');
      result.code = await serve({ ...(options as object), cwd, terminal, signal } as Parameters<typeof serve>[0]);
    });
}
