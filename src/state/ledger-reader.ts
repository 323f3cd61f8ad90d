/**
 * Reads a JSONL ledger again and again, as a long-lived reader does (a service answering about a run
 * while it grows): each read parses only the lines appended since the last one. What readLedger would
 * return is returned: the entries of every complete line, bad lines skipped (each reported once), and
 * a last line without its newline when it is a whole entry. A file that was replaced, cut short
 * (a new run, a trim after a crash) or rewritten under what was read is read again from its start:
 * the reader keeps the bytes just before where it stopped and compares them at each read.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { z } from 'zod';
import { errorCode } from '../files/index.js';
import { readLedgerLine, reportSkippedLine, type SkippedLineHandler } from './ledger-line.js';
import { asStorageError, NOTHING_CHANGED } from './storage-failure.js';
import type { LedgerEntry } from './store.js';

// Bytes before the read position compared at each read to tell the same file from one rewritten under it.
const CHECK_BYTES = 64;

/** Where the reader stopped in which file. */
interface ReadPosition {
  readonly dev: number;
  readonly ino: number;
  /** Bytes read: up to and including the last newline seen. */
  readonly offset: number;
  /** Complete lines before `offset`, so that an error can name its line. */
  readonly lines: number;
  /** The last bytes before `offset`. */
  readonly check: Buffer;
}

/** An incremental reader of one ledger file; see the file comment. */
export class LedgerFileReader<E extends { type: string } = { type: string }> {
  readonly #file: string;
  readonly #eventSchema: z.ZodType<E> | undefined;
  readonly #onSkippedLine: SkippedLineHandler | undefined;
  #position: ReadPosition | undefined;
  #entries: LedgerEntry<E>[] = [];

  constructor(file: string, options: { eventSchema?: z.ZodType<E> | undefined; onSkippedLine?: SkippedLineHandler | undefined } = {}) {
    this.#file = file;
    this.#eventSchema = options.eventSchema;
    this.#onSkippedLine = options.onSkippedLine;
  }

  /** How many entries it holds now (what the last read returned, without a last line lacking its newline). */
  get size(): number {
    return this.#entries.length;
  }

  /** The ledger's entries now: a new array each time. */
  async read(): Promise<LedgerEntry<E>[]> {
    let handle: FileHandle;
    try {
      handle = await open(this.#file, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        this.#reset();
        return [];
      }
      throw asStorageError(error, { file: this.#file, action: 'read the ledger', kept: NOTHING_CHANGED });
    }
    try {
      return await this.#readFrom(handle);
    } catch (error) {
      throw asStorageError(error, { file: this.#file, action: 'read the ledger', kept: NOTHING_CHANGED });
    } finally {
      await handle.close();
    }
  }

  async #readFrom(handle: FileHandle): Promise<LedgerEntry<E>[]> {
    const { dev, ino, size } = await handle.stat();
    if (!(await this.#stillValid(handle, { dev, ino, size }))) this.#reset();
    const start = this.#position?.offset ?? 0;
    const fresh = Buffer.alloc(size - start);
    let filled = 0;
    while (filled < fresh.length) {
      const { bytesRead } = await handle.read(fresh, filled, fresh.length - filled, start + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    const bytes = fresh.subarray(0, filled);
    const end = bytes.lastIndexOf(0x0a);
    let lines = this.#position?.lines ?? 0;
    if (end !== -1) {
      for (const text of bytes.subarray(0, end).toString('utf8').split('\n')) {
        lines += 1;
        const entry = this.#entryOf(text, lines, true);
        if (entry !== undefined) this.#entries.push(entry);
      }
      const offset = start + end + 1;
      // The bytes just before the new offset: the end of this read, after the last check when this read was short.
      const joined = Buffer.concat([this.#position?.check ?? Buffer.alloc(0), bytes.subarray(0, end + 1)]);
      this.#position = { dev, ino, offset, lines, check: Buffer.from(joined.subarray(Math.max(0, joined.length - CHECK_BYTES))) };
    } else if (this.#position === undefined) {
      this.#position = { dev, ino, offset: 0, lines: 0, check: Buffer.alloc(0) };
    }
    const entries = [...this.#entries];
    // A last line without its newline: an entry when whole (not kept, its newline may come), else cut short and left.
    const rest = bytes.subarray(end + 1).toString('utf8');
    if (rest.trim() !== '') {
      const last = this.#entryOf(rest, lines + 1, false);
      if (last !== undefined) entries.push(last);
    }
    return entries;
  }

  /** True when the file is the one read last time, not shorter, with the same bytes before where the reading stopped. */
  async #stillValid(handle: FileHandle, now: { dev: number; ino: number; size: number }): Promise<boolean> {
    const position = this.#position;
    if (position === undefined) return true;
    if (position.dev !== now.dev || position.ino !== now.ino || now.size < position.offset) return false;
    const length = position.check.length;
    if (length === 0) return true;
    const seen = Buffer.alloc(length);
    const { bytesRead } = await handle.read(seen, 0, length, position.offset - length);
    return bytesRead === length && seen.equals(position.check);
  }

  /** The entry of one line, or undefined for a blank or bad line (a complete bad line is reported). */
  #entryOf(text: string, line: number, complete: boolean): LedgerEntry<E> | undefined {
    if (text.trim() === '') return undefined;
    const read = readLedgerLine({ text, file: this.#file, line, schema: this.#eventSchema });
    if (!read.ok) {
      if (complete) reportSkippedLine({ error: read.error, text, onSkippedLine: this.#onSkippedLine });
      return undefined;
    }
    return read.entry as LedgerEntry<E>;
  }

  #reset(): void {
    this.#position = undefined;
    this.#entries = [];
  }
}
