/** Wake-ups when a file is replaced: fs.watch on its directory, with polling as the fallback. */
import { type FSWatcher, watch as watchDirectory } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Calls `onChange` (at most once per macrotask) when `file` may have changed; returns the function that stops watching. */
export function watchFile(input: { file: string; pollIntervalMs: number; onChange: () => void }): () => void {
  const directory = dirname(input.file);
  const name = basename(input.file);
  let stopped = false;
  let pending = false;
  let watcher: FSWatcher | undefined;

  // A write produces several events (temp file, rename, lock dir); one call per macrotask.
  const schedule = (): void => {
    if (stopped || pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (!stopped) input.onChange();
    });
  };
  const startWatcher = (): void => {
    if (watcher !== undefined || stopped) return;
    try {
      // persistent: false is the watcher's unref(): a watch never keeps the process alive.
      watcher = watchDirectory(directory, { persistent: false }, (_event, filename) => {
        // Some platforms omit the name; then any change may be ours.
        if (filename === null || filename === name) schedule();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined; // the poll below retries
      });
    } catch {
      watcher = undefined; // directory not created yet: polling continues and retries
    }
  };

  startWatcher();
  const timer = setInterval(() => {
    startWatcher();
    schedule();
  }, input.pollIntervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
    watcher?.close();
    watcher = undefined;
  };
}
