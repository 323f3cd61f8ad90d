/**
 * Runs one argv (no shell) for an agent: in its worktree, under a timeout
 * that kills the whole process tree, with its output capped.
 */
import { spawn } from 'node:child_process';

const DEFAULT_KILL_GRACE_MS = 2_000;

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
export function runCommand(input: {
  argv: readonly string[];
  cwd: string;
  timeoutMs: number;
  outputCapBytes: number;
  killGraceMs?: number;
  /** Aborting kills the command's process group, as a timeout does. */
  signal?: AbortSignal | undefined;
}): Promise<CommandOutcome> {
  const [executable, ...args] = input.argv;
  if (executable === undefined) throw new TypeError('runCommand needs a non-empty argv');
  const killGraceMs = input.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const output = new CappedOutput(input.outputCapBytes);
  return new Promise((resolve) => {
    // detached: the command leads a new process group, so one kill(-pid) reaches everything it started.
    const child = spawn(executable, args, {
      cwd: input.cwd,
      shell: false,
      detached: true,
      env: commandEnvironment(),
      // No stdin: watch modes and prompts then see no terminal and do not wait for one.
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the whole group is gone already.
      }
    };
    const terminate = (): void => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => {
        killGroup('SIGKILL');
        // A process that left the group could hold our pipes open forever; stop waiting for them.
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, killGraceMs);
    };
    const timeout = setTimeout(() => {
      timedOut = exit === undefined;
      terminate();
    }, input.timeoutMs);
    const onAbort = (): void => terminate();
    input.signal?.addEventListener('abort', onAbort, { once: true });
    if (input.signal?.aborted === true) terminate();
    const finish = (outcome: Omit<CommandOutcome, 'output' | 'outputBytes' | 'pid' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      input.signal?.removeEventListener('abort', onAbort);
      // Not cleared: what outlives the leader (a child ignoring SIGTERM) still gets its SIGKILL, without holding us up.
      killTimer?.unref();
      resolve({ ...outcome, timedOut, output: output.text(), outputBytes: output.totalBytes, pid: child.pid });
    };

    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', (error) => {
      output.push(Buffer.from(`could not start ${executable}: ${error.message}\n`));
      killGroup('SIGKILL');
      finish({ exitCode: 127, signal: null });
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Whatever the command left running belongs to no one now; it would also keep our pipes open.
      terminate();
    });
    child.on('close', (code, signal) => finish({ exitCode: exit?.code ?? code, signal: exit?.signal ?? signal }));
  });
}

/** Keeps the first and the last half of the cap: the start shows what ran, the end how it ended. */
class CappedOutput {
  readonly #headCap: number;
  readonly #tailCap: number;
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer = Buffer.alloc(0);
  totalBytes = 0;

  constructor(capBytes: number) {
    this.#headCap = Math.floor(capBytes / 2);
    this.#tailCap = capBytes - this.#headCap;
  }

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    let rest = chunk;
    if (this.#headBytes < this.#headCap) {
      const taken = rest.subarray(0, this.#headCap - this.#headBytes);
      this.#head.push(taken);
      this.#headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0) return;
    this.#tail = Buffer.concat([this.#tail, rest]);
    if (this.#tail.length > this.#tailCap) this.#tail = this.#tail.subarray(this.#tail.length - this.#tailCap);
  }

  text(): string {
    const head = Buffer.concat(this.#head).toString('utf8');
    const omitted = this.totalBytes - this.#headBytes - this.#tail.length;
    if (omitted === 0) return head + this.#tail.toString('utf8');
    return `${head}\n[… ${omitted} bytes of output omitted …]\n${this.#tail.toString('utf8')}`;
  }
}
