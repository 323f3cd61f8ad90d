import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

/** A named pipe for a test, with a writer that opens it only after a long wait, so that code wrongly blocked on it ends the test rather than hanging it. */
export interface TestFifo {
  path: string;
  /** Stops the late writer. */
  close(): void;
}

// A safety net only: a reader that blocks on the FIFO (even one that blocks the whole event loop) is released this late.
const LATE_WRITER_SECONDS = 150;

/** Creates a FIFO at `path` with `mkfifo`; a missing mkfifo fails the test. */
export function makeFifo(path: string): TestFifo {
  const made = spawnSync('mkfifo', [path], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.error?.message ?? made.stderr}`);
  const writer: ChildProcess = spawn('sh', ['-c', `sleep ${LATE_WRITER_SECONDS} && printf blocked > "$1"`, 'sh', path], {
    detached: true,
    stdio: 'ignore',
  });
  writer.unref();
  return {
    path,
    close: () => {
      if (writer.pid === undefined) return;
      try {
        process.kill(-writer.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
