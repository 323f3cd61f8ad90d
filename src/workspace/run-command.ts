/**
 * Runs one argv (no shell) for an agent: in its worktree, under a timeout
 * that kills the whole process tree, with its output capped.
 */
import { runProcess } from '../files/index.js';

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
 * SIGTERM, then SIGKILL after `killGraceMs`. Never rejects for a command
 * that could not start: that is an outcome too (exit code 127).
 */
export async function runCommand(input: {
  argv: readonly string[];
  cwd: string;
  timeoutMs: number;
  outputCapBytes: number;
  killGraceMs?: number;
  /** Aborting kills the command's process group, as a timeout does. */
  signal?: AbortSignal | undefined;
}): Promise<CommandOutcome> {
  const [executable] = input.argv;
  if (executable === undefined) throw new TypeError('runCommand needs a non-empty argv');
  try {
    const result = await runProcess({
      argv: input.argv,
      cwd: input.cwd,
      env: commandEnvironment(),
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
    const output = `could not start ${executable}: ${error instanceof Error ? error.message : String(error)}\n`;
    return { exitCode: 127, signal: null, timedOut: false, output, outputBytes: Buffer.byteLength(output), pid: undefined };
  }
}
