import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');
/** The CLI entry point (needs the build in dist/). */
export const BIN = join(ROOT, 'bin', 'agent-team.js');

/** Builds dist/, the CLI's bundle (what the bin loads) and the token table when a test file runs alone without `npm test` having built them. */
export function ensureBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
  }
  if (!existsSync(join(ROOT, 'dist', 'bundle', 'main.js'))) {
    execFileSync(process.execPath, [join(ROOT, 'bin', 'bundle.mjs')], { stdio: 'inherit' });
  }
  if (!existsSync(join(ROOT, 'dist', 'o200k_base.tokens'))) {
    execFileSync(process.execPath, [join(ROOT, 'bin', 'token-table.mjs')], { stdio: 'inherit' });
  }
}

/** The outcome of a CLI process. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running CLI process. */
export interface CliProcess {
  pid: number;
  done: Promise<CliResult>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves when stdout has printed text matching `pattern`. */
  waitForOutput(pattern: RegExp): Promise<void>;
}

/** Starts `agent-team <args>` in `cwd` as a real process. */
export function startCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const listener of [...listeners]) listener();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    pid: child.pid ?? -1,
    done,
    kill: (signal) => child.kill(signal),
    waitForOutput: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(stdout)) {
            listeners.splice(listeners.indexOf(check), 1);
            resolve();
          }
        };
        listeners.push(check);
        check();
        void done.then(() => {
          if (!pattern.test(stdout)) reject(new Error(`process ended before printing ${pattern}:\n${stdout}\n${stderr}`));
        });
      }),
  };
}

/** Runs `agent-team <args>` to completion. */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return startCli(args, options).done;
}
