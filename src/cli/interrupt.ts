import { SignalInterruptError } from '../errors/index.js';

/**
 * Turns Ctrl-C / SIGTERM into an AbortSignal: the first one asks everything to stop
 * cleanly (tasks go back to ready, the state stays valid); a second one exits at once.
 */
export function interruptSignal(onFirst?: () => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.exit(130);
    }
    onFirst?.();
    controller.abort(new SignalInterruptError(signal));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
