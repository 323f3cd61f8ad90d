import { watch } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { LedgerEntry } from './store.js';

/**
 * Follows a JSONL ledger: calls `onEntry` for every complete line, from the start
 * of the file, then for each new one as it is appended (fs.watch plus polling),
 * until `signal` aborts (what was appended by then is still delivered) or
 * `until(entry)` returns true. A truncated file (a new run started) is read
 * again from its start.
 */
export async function followLedger<E extends { type: string }>(input: {
  file: string;
  onEntry: (entry: LedgerEntry<E>) => void;
  signal?: AbortSignal | undefined;
  until?: ((entry: LedgerEntry<E>) => boolean) | undefined;
  pollMs?: number | undefined;
  /** Skip what the file holds now and show only new lines. */
  fromEnd?: boolean | undefined;
}): Promise<void> {
  let offset = 0;
  if (input.fromEnd === true) {
    try {
      offset = (await stat(input.file)).size;
    } catch {
      offset = 0;
    }
  }
  let partial = '';
  let finished = false;
  let wake: (() => void) | undefined;
  const poke = (): void => wake?.();
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(dirname(input.file), (_event, name) => {
      if (name === null || name === basename(input.file)) poke();
    });
    watcher.unref();
  } catch {
    watcher = undefined; // the directory may not exist yet: polling covers it
  }
  input.signal?.addEventListener('abort', poke, { once: true });
  const readMore = async (): Promise<void> => {
    let handle: FileHandle;
    try {
      handle = await open(input.file, 'r');
    } catch {
      return;
    }
    try {
      const { size } = await handle.stat();
      if (size < offset) {
        offset = 0;
        partial = '';
      }
      if (size === offset) return;
      const buffer = Buffer.alloc(size - offset);
      await handle.read(buffer, 0, buffer.length, offset);
      offset = size;
      const lines = (partial + buffer.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        const entry = JSON.parse(line) as LedgerEntry<E>;
        input.onEntry(entry);
        if (input.until?.(entry) === true) {
          finished = true;
          return;
        }
      }
    } finally {
      await handle.close();
    }
  };
  try {
    while (!finished) {
      await readMore();
      if (finished) break;
      if (input.signal?.aborted === true) {
        await readMore();
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, input.pollMs ?? 500);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    input.signal?.removeEventListener('abort', poke);
  }
}
