/**
 * Runs one argv (no shell) for an agent: in its worktree, under a timeout
 * that kills the whole process tree, with its output capped, and unless
 * turned off, inside the sandbox.
 */
import { runProcess } from '../files/index.js';
import { findExecutable, SANDBOX_TMP, type SandboxMode, sandboxedArgv } from './command-sandbox.js';

// Agents read what their commands print; a test that dumps the environment must not hand them API keys.
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

/** How a command ended, and what it printed (stdout and stderr interleaved). */
export interface CommandOutcome {
  /** Exit code; null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The output, its middle cut out when it was longer than the cap. */
  output: string;
  /** Bytes printed in total, including any that were cut. */
  outputBytes: number;
  /** Process id of the command (also its process group id). */
  pid: number | undefined;
}

/** The environment commands run with: ours, minus anything that looks like a secret, without color codes. */
export function commandEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) if (!SECRET_NAME.test(name)) env[name] = value;
  // Color escape codes cost the model tokens and carry nothing.
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0' };
}

/**
 * Runs `argv` in `cwd` without a shell. On timeout the process group gets
 * SIGTERM, then SIGKILL after `killGraceMs` (a sandboxed command's processes
 * die with the sandbox at the first signal). Never rejects for a command
 * that could not start: that is an outcome too (exit code 127). Throws a
 * `WorkspaceError` when the sandbox is asked for and unavailable.
 */
export async function runCommand(input: {
  argv: readonly string[];
  /** The worktree: the command's working directory, and with the sandbox, all it may write besides its /tmp. */
  cwd: string;
  /** `bwrap`: confined to `cwd` and a private /tmp, without network; `off`: a plain process. */
  sandbox: SandboxMode;
  timeoutMs: number;
  outputCapBytes: number;
  killGraceMs?: number;
  /** Aborting kills the command's process group, as a timeout does. */
  signal?: AbortSignal | undefined;
}): Promise<CommandOutcome> {
  const [executable] = input.argv;
  if (executable === undefined) throw new TypeError('runCommand needs a non-empty argv');
  let argv = input.argv;
  let env = commandEnvironment();
  if (input.sandbox === 'bwrap') {
    argv = await sandboxedArgv({ argv, worktree: input.cwd });
    // Home and temp files go to the private /tmp: npm and friends write caches and logs there.
    env = { ...env, HOME: SANDBOX_TMP, TMPDIR: SANDBOX_TMP };
    // bwrap would report a missing program as its own failure; say it as for a plain process.
    if ((await findExecutable(executable, env['PATH'] ?? '', input.cwd)) === null) return couldNotStart(executable, 'not found (ENOENT)');
  }
  try {
    const result = await runProcess({
      argv,
      cwd: input.cwd,
      env,
      timeoutMs: input.timeoutMs,
      killGraceMs: input.killGraceMs,
      signal: input.signal,
      capture: { interleaved: input.outputCapBytes },
    });
    return {
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.stopped === 'timeout',
      output: result.interleaved.text,
      outputBytes: result.interleaved.totalBytes,
      pid: result.pid,
    };
  } catch (error) {
    return couldNotStart(executable, error instanceof Error ? error.message : String(error));
  }
}

function couldNotStart(executable: string, why: string): CommandOutcome {
  const output = `could not start ${executable}: ${why}\n`;
  return { exitCode: 127, signal: null, timedOut: false, output, outputBytes: Buffer.byteLength(output), pid: undefined };
}
