/** The run ledger on disk: one JSON line per event, appended under the state's lock and read back validated. */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { errorCode } from '../files/index.js';
import { readLedgerLine, reportSkippedLine, type SkippedLineHandler } from './ledger-line.js';
import { asStorageError, guardStorage, NOTHING_CHANGED } from './storage-failure.js';
import type { LedgerEntry } from './store.js';

/** One append for all events of a commit, so a crash cuts at most the last lines. */
export async function appendLedgerLines<E>(input: {
  stateFile: string;
  ledgerFile: string;
  lines: readonly { event: E; seq: number }[];
  at: string;
  seq: number;
}): Promise<void> {
  const text = input.lines.map(({ event, seq }) => `${JSON.stringify({ ...event, seq, at: input.at })}\n`).join('');
  // Appended before the state is replaced: when this fails, the change is not written at all.
  const operation = {
    file: input.ledgerFile,
    action: `append ${input.lines.length} event(s) to the ledger`,
    kept: `Nothing was written: the state file ${input.stateFile} still holds the last good state (before seq ${input.seq}).`,
  };
  await guardStorage(operation, async () => {
    try {
      await appendWhole(input.ledgerFile, text);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      await mkdir(dirname(input.ledgerFile), { recursive: true });
      await appendWhole(input.ledgerFile, text);
    }
  });
}

/**
 * Appends `text` entirely or not at all, on a line of its own. After a torn line
 * (another process's garbage without its newline) a newline comes first, so
 * that only the bad line is lost and not the next event with it. A full disk
 * can take part of the text; the file is then cut back to where it was, so that
 * the next append (a resumed run) does not follow a torn line of ours.
 */
async function appendWhole(file: string, text: string): Promise<void> {
  const handle = await open(file, 'a+');
  try {
    const { size } = await handle.stat();
    let start = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) start = '\n';
    }
    try {
      await handle.appendFile(start + text);
    } catch (error) {
      await handle.truncate(size).catch(() => undefined);
      throw error;
    }
  } finally {
    await handle.close();
  }
}

const TAIL_CHUNK = 4096;

/**
 * Cuts off the ledger's last lines whose seq is above `seq`: events of a change
 * that a process appended and then died (or failed) before it replaced the
 * state, so the state never had that change. Reads only the end of the file;
 * lines that are not JSON (another process's garbage) are left alone.
 */
export async function trimLedgerAfter(file: string, seq: number): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r+');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    let cut = size;
    let tail = '';
    let start = size;
    for (;;) {
      // Whole lines of the tail, last first; the first one may be partial unless the tail starts the file.
      const lines = tail.split('\n');
      let offset = start + Buffer.byteLength(tail);
      let decided = false;
      for (let index = lines.length - 1; index >= (start === 0 ? 0 : 1); index -= 1) {
        const line = lines[index] as string;
        offset -= Buffer.byteLength(line) + (index === lines.length - 1 ? 0 : 1);
        if (line.trim() === '') continue;
        const lineSeq = seqOf(line);
        if (lineSeq === undefined || lineSeq <= seq) {
          decided = true;
          break;
        }
        cut = offset;
      }
      if (decided || start === 0) break;
      const from = Math.max(0, start - TAIL_CHUNK);
      const chunk = Buffer.alloc(start - from);
      await handle.read(chunk, 0, chunk.length, from);
      tail = chunk.toString('utf8') + tail;
      start = from;
    }
    if (cut < size) await handle.truncate(cut);
  } finally {
    await handle.close();
  }
}

function seqOf(line: string): number | undefined {
  try {
    const value = JSON.parse(line) as { seq?: unknown };
    return typeof value.seq === 'number' ? value.seq : undefined;
  } catch {
    return undefined;
  }
}

/** Empties the ledger (creating its directory) for a new run. */
export async function resetLedger(file: string): Promise<void> {
  const operation = {
    file,
    action: 'empty the ledger',
    kept: 'No run was started; the state file is untouched.',
    next: 'start the run again',
  };
  await guardStorage(operation, async () => {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, '');
  });
}

/**
 * Reads a JSONL ledger written by FileStore, oldest first. A missing file is an
 * empty ledger. An incomplete last line (a writer interrupted mid-append) is
 * skipped quietly; any other bad line (not JSON, not an entry, not a valid event)
 * is skipped and reported once, naming the file and line, through `onSkippedLine`
 * (default: a warning in the log).
 */
export async function readLedger<E extends { type: string } = { type: string }>(
  file: string,
  options?: { eventSchema?: z.ZodType<E>; onSkippedLine?: SkippedLineHandler | undefined },
): Promise<Array<LedgerEntry<E>>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw asStorageError(error, { file, action: 'read the ledger', kept: NOTHING_CHANGED });
  }
  const lines = text.split('\n');
  const entries: Array<LedgerEntry<E>> = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const lineNumber = index + 1;
    const read = readLedgerLine({ text: line, file, line: lineNumber, schema: options?.eventSchema });
    if (!read.ok) {
      // Only the last line can lack its newline, and only it can be cut short.
      if (read.notAnEntry && index === lines.length - 1) break;
      reportSkippedLine({ error: read.error, text: line, onSkippedLine: options?.onSkippedLine });
      continue;
    }
    entries.push(read.entry as LedgerEntry<E>);
  }
  return entries;
}
