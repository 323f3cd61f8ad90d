/**
 * The one way to run another program: an argv, never a shell, so nothing in an
 * argument is ever interpreted. The program leads its own process group, and
 * stopping it (timeout, abort, too much output, or its own exit leaving
 * children behind) signals the whole group: SIGTERM, then SIGKILL after a grace.
 */
import { spawn } from 'node:child_process';
import { CappedOutput } from './capped-output.js';

const DEFAULT_KILL_GRACE_MS = 2_000;

/** Why we stopped a process before it ended by itself. */
export type ProcessStopReason = 'timeout' | 'abort' | 'overflow';

/** What to run, for how long, and which output to keep. */
export interface RunProcessOptions {
  /** Executable and arguments. */
  argv: readonly string[];
  cwd?: string | undefined;
  /** The whole environment of the process (default: this process's). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Past this the process group is stopped (`stopped: 'timeout'`). */
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL (default 2000). */
  killGraceMs?: number | undefined;
  /** Aborting stops the process group (`stopped: 'abort'`). */
  signal?: AbortSignal | undefined;
  /** Bytes kept of each output (start and end, middle cut); a capture left out is not kept. */
  capture: {
    stdout?: number;
    stderr?: number;
    /** stdout and stderr together, in the order they arrived: what a terminal would show. */
    interleaved?: number;
  };
  /** Stop the process group (`stopped: 'overflow'`) once stdout passes this many bytes. */
  maxStdoutBytes?: number | undefined;
  /** Written to the program's stdin, which is then closed; without it the program has no stdin. */
  stdin?: string | undefined;
}

/** What was kept of one output, and how much was printed in all. */
export interface CapturedOutput {
  readonly text: string;
  readonly totalBytes: number;
}

/** How a process ended. */
export interface ProcessResult {
  /** Exit code; null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when we stopped it; undefined when it ended by itself. */
  readonly stopped: ProcessStopReason | undefined;
  /** Process id of the program, also its process group id. */
  readonly pid: number | undefined;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  readonly interleaved: CapturedOutput;
}

/**
 * Runs `argv` to its end. Resolves however the program ends (its code, a
 * signal, a stop); rejects only when it cannot be started (the spawn error,
 * e.g. ENOENT or E2BIG, as Node gives it).
 */
export function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  const [executable, ...args] = options.argv;
  if (executable === undefined) throw new TypeError('runProcess needs a non-empty argv');
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const outputs = {
    stdout: new CappedOutput(options.capture.stdout ?? 0),
    stderr: new CappedOutput(options.capture.stderr ?? 0),
    interleaved: new CappedOutput(options.capture.interleaved ?? 0),
  };
  return new Promise((resolve, reject) => {
    // detached: the program leads a new process group, so one kill(-pid) reaches everything it started.
    const child = spawn(executable, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      shell: false,
      detached: true,
      // No stdin unless given: watch modes, prompts and CLIs waiting for piped input see none and do not wait.
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    let stopped: ProcessStopReason | undefined;
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
    const stop = (reason: ProcessStopReason): void => {
      if (settled) return;
      // The program itself is done: what is left is cleanup, not a reason to report.
      if (stopped === undefined && exit === undefined) stopped = reason;
      terminate();
    };
    const timeout = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = (): void => stop('abort');
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timeout);
      options.signal?.removeEventListener('abort', onAbort);
      // Not cleared: what outlives the leader (a child ignoring SIGTERM) still gets its SIGKILL, without holding us up.
      killTimer?.unref();
      return true;
    };

    child.stdout?.on('data', (chunk: Buffer) => {
      outputs.stdout.push(chunk);
      outputs.interleaved.push(chunk);
      if (options.maxStdoutBytes !== undefined && outputs.stdout.totalBytes > options.maxStdoutBytes) stop('overflow');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      outputs.stderr.push(chunk);
      outputs.interleaved.push(chunk);
    });
    child.on('error', (error) => {
      killGroup('SIGKILL');
      if (finish()) reject(error);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Whatever the program left running belongs to no one now; it would also keep our pipes open.
      terminate();
    });
    child.on('close', (code, signal) => {
      if (!finish()) return;
      const captured = (output: CappedOutput): CapturedOutput => ({ text: output.text(), totalBytes: output.totalBytes });
      resolve({
        exitCode: exit?.code ?? code,
        signal: exit?.signal ?? signal,
        stopped,
        pid: child.pid,
        stdout: captured(outputs.stdout),
        stderr: captured(outputs.stderr),
        interleaved: captured(outputs.interleaved),
      });
    });
    if (options.stdin !== undefined && child.stdin !== null) {
      // A program may exit without reading all of it (EPIPE): how it ended is reported by its exit, not here.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }
    if (options.signal?.aborted === true) stop('abort');
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
