/** The run ledger on disk: one JSON line per event, appended under the state's lock and read back validated. */
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { LedgerCorruptedError } from '../errors/index.js';
import { errorCode, safeParseJsonLine, validateData } from '../files/index.js';
import { ledgerSyntaxError } from './ledger-line.js';
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
  // The state is already written: a caller that retried would apply the change twice, so the error says what is kept.
  const operation = {
    file: input.ledgerFile,
    action: `append ${input.lines.length} event(s) to the ledger`,
    kept: `The state file ${input.stateFile} was saved at seq ${input.seq}; the ledger misses these events.`,
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
 * Appends `text` entirely or not at all. A full disk can take part of it; the
 * file is cut back to where it was, so that the next append (a resumed run)
 * does not follow a torn line, which would make the ledger unreadable.
 */
async function appendWhole(file: string, text: string): Promise<void> {
  const handle = await open(file, 'a');
  try {
    const { size } = await handle.stat();
    try {
      await handle.writeFile(text);
    } catch (error) {
      await handle.truncate(size).catch(() => undefined);
      throw error;
    }
  } finally {
    await handle.close();
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

const ledgerEnvelopeSchema = z.looseObject({
  type: z.string(),
  seq: z.number().int().positive(),
  at: z.string(),
});

/**
 * Reads a JSONL ledger written by FileStore, oldest first. A missing file is an
 * empty ledger. An incomplete last line (a writer interrupted mid-append) is
 * skipped; any other bad line is an error naming the file and line.
 */
export async function readLedger<E extends { type: string } = { type: string }>(
  file: string,
  options?: { eventSchema?: z.ZodType<E> },
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
    const json = safeParseJsonLine({ text: line, file, line: lineNumber });
    if (!json.ok) {
      // Only the last line can lack its newline, and only it can be cut short.
      if (index === lines.length - 1) break;
      throw ledgerSyntaxError({ file, line: lineNumber, error: json.error });
    }
    const where = `${file} line ${lineNumber}`;
    const envelope = validateData({ value: json.value, where, schema: ledgerEnvelopeSchema });
    if (!envelope.ok) {
      throw new LedgerCorruptedError({
        file,
        line: lineNumber,
        problem: `not a ledger entry: ${envelope.error.problem}`,
        cause: envelope.error,
      });
    }
    if (options?.eventSchema === undefined) {
      entries.push(envelope.value as LedgerEntry<E>);
      continue;
    }
    const event = validateData({ value: json.value, where, schema: options.eventSchema });
    if (!event.ok) {
      throw new LedgerCorruptedError({ file, line: lineNumber, problem: `not a valid event: ${event.error.problem}`, cause: event.error });
    }
    entries.push({ ...event.value, seq: envelope.value.seq, at: envelope.value.at });
  }
  return entries;
}
