/** The run ledger on disk: one JSON line per event, appended under the state's lock and read back validated. */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { LedgerAppendError, LedgerCorruptedError } from '../errors/index.js';
import { errorCode, validateData } from '../files/index.js';
import { parseLedgerLine, reportSkippedLine, type SkippedLineHandler } from './ledger-line.js';
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
  try {
    try {
      await appendFile(input.ledgerFile, text);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      await mkdir(dirname(input.ledgerFile), { recursive: true });
      await appendFile(input.ledgerFile, text);
    }
  } catch (error) {
    // The state is already written; a caller that retried would apply the change twice.
    throw new LedgerAppendError({
      stateFile: input.stateFile,
      ledgerFile: input.ledgerFile,
      seq: input.seq,
      events: input.lines.length,
      cause: error,
    });
  }
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
    throw error;
  }
  const lines = text.split('\n');
  const entries: Array<LedgerEntry<E>> = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const lineNumber = index + 1;
    const parsed = parseLedgerLine({ text: line, file, line: lineNumber });
    if (!parsed.ok) {
      // Only the last line can lack its newline, and only it can be cut short.
      if (index === lines.length - 1) break;
      reportSkippedLine({ error: parsed.error, text: line, onSkippedLine: options?.onSkippedLine });
      continue;
    }
    if (options?.eventSchema === undefined) {
      entries.push(parsed.entry as LedgerEntry<E>);
      continue;
    }
    const event = validateData({ value: parsed.entry, where: `${file} line ${lineNumber}`, schema: options.eventSchema });
    if (!event.ok) {
      const error = new LedgerCorruptedError({
        file,
        line: lineNumber,
        problem: `not a valid event: ${event.error.problem}`,
        cause: event.error,
      });
      reportSkippedLine({ error, text: line, onSkippedLine: options.onSkippedLine });
      continue;
    }
    entries.push({ ...event.value, seq: parsed.entry.seq, at: parsed.entry.at });
  }
  return entries;
}
