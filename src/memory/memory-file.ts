/**
 * The append-only JSONL file behind the memory store. Appends happen under a
 * cross-process lock, one write each, so lines of concurrent agents never
 * interleave; reads take no lock and read only what was appended since the
 * last read.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LockLostError } from '../errors/index.js';
import { acquireLock, DEFAULT_LOCK_STALE_MS, DEFAULT_LOCK_TIMEOUT_MS, errorCode, safeParseDataText } from '../files/index.js';
import { MemoryCorruptedError } from './memory-errors.js';
import { memoryRecordSchema, type MemoryRecord } from './memory-record.js';

const NEWLINE = 0x0a;
// How far back a torn tail is searched for per read while repairing it.
const TAIL_CHUNK_BYTES = 64 * 1024;

/** Options of a MemoryFile. */
export interface MemoryFileOptions {
  /** The JSONL file; it and its directory are created on the first append. */
  file: string;
  /** How long an append waits for the lock before LockTimeoutError (default 30000). */
  lockTimeoutMs?: number;
  /** A lock holder silent this long is presumed dead (default 10000, min 2000). */
  lockStaleMs?: number;
}

/** What was parsed so far: every complete line up to `offset` bytes. */
interface ReadCache {
  dev: number;
  ino: number;
  offset: number;
  lines: number;
  records: MemoryRecord[];
}

/** Parses one line; `undefined` with the problem when it is not a valid memory. */
function parseLine(input: {
  text: string;
  file: string;
}): { record: MemoryRecord; problem?: undefined } | { record?: undefined; problem: string } {
  const parsed = safeParseDataText({ text: input.text, where: input.file, format: 'json', schema: memoryRecordSchema });
  if (parsed.ok) return { record: parsed.value };
  const { syntax } = parsed.error;
  if (syntax !== undefined)
    return { problem: `expected one JSON object, found a syntax error at column ${syntax.column} (${syntax.detail})` };
  return { problem: `not a valid memory (${parsed.error.problem})` };
}

/** A JSONL file of memories: locked appends, incremental validated reads. */
export class MemoryFile {
  readonly #file: string;
  readonly #lockTimeoutMs: number;
  readonly #lockStaleMs: number;
  #cache: ReadCache | undefined;

  constructor(options: MemoryFileOptions) {
    this.#file = options.file;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#lockStaleMs = options.lockStaleMs ?? DEFAULT_LOCK_STALE_MS;
  }

  /** The file's path. */
  get path(): string {
    return this.#file;
  }

  /**
   * Every memory in file order (oldest first). A torn last line — an append that
   * is still being written, or that died half way — is skipped; any other invalid
   * line is a MemoryCorruptedError naming the file and the line.
   */
  async readAll(): Promise<MemoryRecord[]> {
    let handle: FileHandle;
    try {
      handle = await open(this.#file, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    try {
      const info = await handle.stat();
      let cache = this.#cache;
      // A different file, or one that shrank, was replaced by a person: read it from the start.
      // (An in-place edit that keeps the inode and grows the file is not detected: the file is append-only.)
      if (cache === undefined || cache.dev !== info.dev || cache.ino !== info.ino || info.size < cache.offset) {
        cache = { dev: info.dev, ino: info.ino, offset: 0, lines: 0, records: [] };
      }
      const buffer = Buffer.alloc(info.size - cache.offset);
      if (buffer.length > 0) await handle.read(buffer, 0, buffer.length, cache.offset);
      const complete = buffer.lastIndexOf(NEWLINE) + 1;
      const lines = buffer.subarray(0, complete).toString('utf8').split('\n');
      lines.pop(); // the empty string after the final newline
      // The cache only grows once every new line parsed, so a corrupt line leaves it as it was.
      const added: MemoryRecord[] = [];
      let lineNumber = cache.lines;
      for (const line of lines) {
        lineNumber += 1;
        if (line.trim() === '') continue;
        const parsed = parseLine({ text: line, file: this.#file });
        if (parsed.record === undefined) throw new MemoryCorruptedError({ file: this.#file, line: lineNumber, problem: parsed.problem });
        added.push(parsed.record);
      }
      for (const record of added) cache.records.push(record);
      cache.lines = lineNumber;
      cache.offset += complete;
      this.#cache = cache;
      // A complete record still waiting for its newline counts; anything else there is torn and skipped.
      const tail = buffer.subarray(complete).toString('utf8');
      const tailRecord = tail.trim() === '' ? undefined : parseLine({ text: tail, file: this.#file }).record;
      return tailRecord === undefined ? [...cache.records] : [...cache.records, tailRecord];
    } finally {
      await handle.close();
    }
  }

  /** Appends records as one write under the file lock, after repairing a torn tail left by a dead writer. */
  async append(records: readonly MemoryRecord[]): Promise<void> {
    if (records.length === 0) return;
    const body = `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;
    await mkdir(dirname(this.#file), { recursive: true });
    let compromise: Error | undefined;
    const release = await acquireLock({
      file: this.#file,
      timeoutMs: this.#lockTimeoutMs,
      staleMs: this.#lockStaleMs,
      onCompromised: (error) => {
        compromise = error;
      },
    });
    const lockedAt = Date.now();
    try {
      const handle = await open(this.#file, 'a+');
      try {
        const prefix = await this.#repairTail(handle);
        // Past half the stale time another process may have taken the lock over: do not write blind.
        if (compromise !== undefined || Date.now() - lockedAt >= this.#lockStaleMs / 2) {
          throw new LockLostError({
            file: this.#file,
            reason: `(${compromise?.message ?? 'held too long'})`,
            consequence: 'nothing was appended',
            cause: compromise,
          });
        }
        await handle.appendFile(prefix + body, 'utf8');
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } finally {
      await release().catch(() => undefined); // a lock we failed to drop goes stale; the append stands
    }
  }

  /**
   * Called under the lock. Only a writer that died mid-append leaves a last line
   * without its newline: a valid record there just needs the newline (returned as
   * a prefix); a torn one is cut off, or every later line would be glued to it.
   */
  async #repairTail(handle: FileHandle): Promise<string> {
    const { size } = await handle.stat();
    if (size === 0) return '';
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] === NEWLINE) return '';
    let start = size;
    const chunks: Buffer[] = [];
    while (start > 0) {
      const length = Math.min(TAIL_CHUNK_BYTES, start);
      const chunk = Buffer.alloc(length);
      await handle.read(chunk, 0, length, start - length);
      const newline = chunk.lastIndexOf(NEWLINE);
      if (newline >= 0) {
        chunks.unshift(chunk.subarray(newline + 1));
        start = start - length + newline + 1;
        break;
      }
      chunks.unshift(chunk);
      start -= length;
    }
    if (parseLine({ text: Buffer.concat(chunks).toString('utf8'), file: this.#file }).record !== undefined) return '\n';
    await handle.truncate(start);
    return '';
  }
}
