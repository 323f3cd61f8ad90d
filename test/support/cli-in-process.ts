import { main } from '../../src/cli/main.js';
import type { Terminal } from '../../src/cli/terminal.js';
import type { CliResult } from './cli.js';

// main imports a command's implementation when it runs. Loaded here once, before any test
// starts, so an in-process command answers as fast as before when a test races it against
// a live process (e.g. `run --resume` while a spawned run still works).
await Promise.all([
  import('../../src/cli/commands/agent.js'),
  import('../../src/cli/commands/batch.js'),
  import('../../src/cli/commands/clean.js'),
  import('../../src/cli/commands/config.js'),
  import('../../src/cli/commands/errors.js'),
  import('../../src/cli/commands/export.js'),
  import('../../src/cli/commands/findings.js'),
  import('../../src/cli/commands/graph.js'),
  import('../../src/cli/commands/init-config.js'),
  import('../../src/cli/commands/ledger.js'),
  import('../../src/cli/commands/monitor.js'),
  import('../../src/cli/commands/plan.js'),
  import('../../src/cli/commands/prompt.js'),
  import('../../src/cli/commands/queue-run.js'),
  import('../../src/cli/commands/roles.js'),
  import('../../src/cli/commands/run.js'),
  import('../../src/cli/commands/spawn.js'),
  import('../../src/cli/commands/status.js'),
  import('../../src/cli/commands/worker.js'),
]);

/** A command running in this process, as `startCli` runs one in its own. */
export interface InProcessCommand {
  done: Promise<CliResult>;
  /** Stops the command as a first Ctrl-C does (the CLI turns SIGINT into this abort). */
  interrupt(): void;
  /** Resolves when stdout has printed text matching `pattern`. */
  waitForOutput(pattern: RegExp): Promise<void>;
  /** What stdout printed so far. */
  stdout(): string;
}

function signalHandlers(): number {
  return process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
}

function sink(append: (text: string) => void): NodeJS.WritableStream {
  return {
    write(chunk: string | Uint8Array): boolean {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
  } as unknown as NodeJS.WritableStream;
}

/**
 * Starts `agent-team <args>` in `cwd` inside the test process: a piped terminal (no TTY,
 * no colour, as a spawned CLI with NO_COLOR sees it) and its own abort signal, so no
 * SIGINT/SIGTERM handler is registered on the test process.
 */
export function startCommand(args: readonly string[], options: { cwd: string }): InProcessCommand {
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const terminal: Terminal = {
    out: sink((text) => {
      stdout += text;
      for (const listener of [...listeners]) listener();
    }),
    err: sink((text) => {
      stderr += text;
    }),
    isTty: false,
    color: false,
  };
  const controller = new AbortController();
  const handlersBefore = signalHandlers();
  const done = main(['node', 'agent-team', ...args], { terminal, cwd: options.cwd, signal: controller.signal }).then(
    (code): CliResult => {
      // Given a signal, no command listens to the process's own: one left behind would outlive the test.
      if (signalHandlers() > handlersBefore) throw new Error(`agent-team ${args.join(' ')} left a SIGINT or SIGTERM handler registered`);
      return { code, signal: null, stdout, stderr };
    },
    // What bin/agent-team.js does with an error main did not handle.
    (error: unknown): CliResult => ({
      code: 1,
      signal: null,
      stdout,
      stderr: `${stderr}agent-team: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    }),
  );
  return {
    done,
    interrupt: () => controller.abort(new Error('received SIGINT')),
    stdout: () => stdout,
    waitForOutput: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(stdout)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
        void done.then(() => {
          if (!pattern.test(stdout)) reject(new Error(`command ended before printing ${pattern}:\n${stdout}\n${stderr}`));
        });
      }),
  };
}

/** Runs `agent-team <args>` in `cwd` inside the test process; the result has the shape of `runCli`'s. */
export function runCommand(args: readonly string[], options: { cwd: string }): Promise<CliResult> {
  return startCommand(args, options).done;
}
