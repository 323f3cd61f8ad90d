import { watch } from 'node:fs';
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { z } from 'zod';
import { WakeUp } from '../queue/index.js';
import { readLedgerLine, reportSkippedLine, type SkippedLineHandler } from './ledger-line.js';
import { guardStorage, NOTHING_CHANGED } from './storage-failure.js';
import type { LedgerEntry } from './store.js';

/**
 * Follows a JSONL ledger: calls `onEntry` for every complete line, from the start
 * of the file, then for each new one as it is appended (fs.watch plus polling),
 * until `signal` aborts (what was appended by then is still delivered),
 * `until(entry)` returns true, or `whenQuiet(quietPolls)` does: it is asked after
 * every look that found nothing new, with the number of such looks in a row.
 * A truncated file (a new run started) is read again from its start. A bad line
 * (not JSON, not an entry, not matching `eventSchema`) is skipped and reported once through `onSkippedLine`
 * (default: a warning in the log). A file that cannot be read (a directory in its
 * place) is a StorageError.
 */
export async function followLedger<E extends { type: string }>(input: {
  file: string;
  onEntry: (entry: LedgerEntry<E>) => void;
  signal?: AbortSignal | undefined;
  until?: ((entry: LedgerEntry<E>) => boolean) | undefined;
  pollMs?: number | undefined;
  whenQuiet?: ((quietPolls: number) => boolean | Promise<boolean>) | undefined;
  /** Checks each entry's event; one that does not match is skipped like a bad line. */
  eventSchema?: z.ZodType<E> | undefined;
  onSkippedLine?: SkippedLineHandler | undefined;
  /** Skip what the file holds now and show only new lines. */
  fromEnd?: boolean | undefined;
}): Promise<void> {
  let offset = 0;
  // Lines before `offset`, so that an error can name the line.
  let linesBefore = 0;
  if (input.fromEnd === true) {
    try {
      const skipped = await readFile(input.file);
      offset = skipped.length;
      for (let index = skipped.indexOf(0x0a); index !== -1; index = skipped.indexOf(0x0a, index + 1)) linesBefore += 1;
    } catch {
      offset = 0;
    }
  }
  let partial = '';
  let finished = false;
  const wakeUp = new WakeUp();
  const poke = (): void => wakeUp.poke();
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
  // Whether the look found new lines (complete or not).
  const readMore = async (): Promise<boolean> => {
    let handle: FileHandle;
    try {
      handle = await open(input.file, 'r');
    } catch {
      return false;
    }
    try {
      const { size } = await handle.stat();
      if (size < offset) {
        offset = 0;
        linesBefore = 0;
        partial = '';
      }
      if (size === offset) return false;
      const buffer = Buffer.alloc(size - offset);
      await handle.read(buffer, 0, buffer.length, offset);
      offset = size;
      const lines = (partial + buffer.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        linesBefore += 1;
        if (line.trim() === '') continue;
        const read = readLedgerLine({ text: line, file: input.file, line: linesBefore, schema: input.eventSchema });
        if (!read.ok) {
          reportSkippedLine({ error: read.error, text: line, onSkippedLine: input.onSkippedLine });
          continue;
        }
        const entry = read.entry as LedgerEntry<E>;
        input.onEntry(entry);
        if (input.until?.(entry) === true) {
          finished = true;
          return true;
        }
      }
      return true;
    } finally {
      await handle.close();
    }
  };
  const readLedger = (): Promise<boolean> => guardStorage({ file: input.file, action: 'read the ledger', kept: NOTHING_CHANGED }, readMore);
  let quietPolls = 0;
  try {
    while (!finished) {
      quietPolls = (await readLedger()) ? 0 : quietPolls + 1;
      if (finished) break;
      if (input.signal?.aborted === true) {
        await readLedger();
        break;
      }
      if (quietPolls > 0 && input.whenQuiet !== undefined && (await input.whenQuiet(quietPolls))) break;
      await wakeUp.wait(input.pollMs ?? 500);
    }
  } finally {
    watcher?.close();
    input.signal?.removeEventListener('abort', poke);
  }
}
