import { SignalInterruptError } from '../errors/index.js';

/** What the interrupt signal listens to besides SIGINT and SIGTERM. */
export interface InterruptOptions {
  /** Called on the first stop request (e.g. to say what happens now). */
  onFirst?: () => void;
  /**
   * Commands that own a run also stop it cleanly when their terminal closes
   * (SIGHUP), when the reader of their output goes away (EPIPE on stdout or
   * stderr), and when an error escapes everything else; that error is the
   * signal's reason.
   */
  everyEnding?: boolean;
}

/**
 * Turns Ctrl-C / SIGTERM (and with `everyEnding`, SIGHUP, a closed output and an
 * uncaught error) into an AbortSignal: the first one asks everything to stop
 * cleanly (tasks go back to ready, the state stays valid); a second Ctrl-C or
 * SIGTERM exits at once.
 */
export function interruptSignal(options: InterruptOptions | (() => void) = {}): { signal: AbortSignal; dispose: () => void } {
  const { onFirst, everyEnding } = typeof options === 'function' ? { onFirst: options, everyEnding: false } : options;
  const controller = new AbortController();
  const stop = (reason: Error): void => {
    if (controller.signal.aborted) return;
    onFirst?.();
    controller.abort(reason);
  };
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted && signal !== 'SIGHUP') process.exit(130);
    stop(new SignalInterruptError(signal));
  };
  const onStreamError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') stop(new SignalInterruptError('SIGPIPE'));
  };
  const onUncaught = (error: unknown): void => stop(error instanceof Error ? error : new Error(String(error)));
  const signals: NodeJS.Signals[] = everyEnding === true ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM'];
  for (const name of signals) process.on(name, handler);
  if (everyEnding === true) {
    process.stdout.on('error', onStreamError);
    process.stderr.on('error', onStreamError);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUncaught);
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of signals) process.off(name, handler);
      process.stdout.off('error', onStreamError);
      process.stderr.off('error', onStreamError);
      process.off('uncaughtException', onUncaught);
      process.off('unhandledRejection', onUncaught);
    },
  };
}
