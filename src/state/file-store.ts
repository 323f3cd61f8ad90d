/**
 * The state store on a local file: JSON validated on every read and write,
 * changed only under a cross-process lock, replaced atomically, with the
 * events of each change appended to a JSONL ledger under the same lock.
 */
import { watch as watchDirectory, type FSWatcher } from 'node:fs';
import { access, appendFile, link, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import {
  LedgerAppendError,
  LedgerCorruptedError,
  type DataFileError,
  LockLostError,
  StateCorruptedError,
  StateMissingError,
  StateUpdateError,
} from '../errors/index.js';
import { errorCode, safeParseDataText, safeParseJsonLine, siblingTempPath, validateData, writeFileAtomic } from '../files/index.js';
import { acquireLock, DEFAULT_LOCK_STALE_MS, DEFAULT_LOCK_TIMEOUT_MS, MIN_LOCK_STALE_MS } from '../files/index.js';
import { ledgerSyntaxError } from './ledger-line.js';
import type { LedgerEntry, StateStore, UpdateContext } from './store.js';

/** Default interval of the polling fallback behind `watch()`. */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;

// Where hard links are unavailable the backup is a full copy; bounding it to
// one in 50 updates keeps its cost around 2% of the writes.
const COPY_BACKUP_EVERY = 50;
// How stale `<file>.bak` may get by default: a good recent version, not necessarily the one just replaced.
const DEFAULT_BACKUP_INTERVAL_MS = 1000;
const HARD_LINK_UNSUPPORTED = new Set(['EPERM', 'EXDEV', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS']);

// Most updates committed under one lock and one write.
const MAX_GROUP = 64;

/** An update waiting for its group commit. */
interface PendingUpdate<S, E> {
  fn: (state: S, context: UpdateContext<E>) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Commit alone (after its group produced an invalid state). */
  solo: boolean;
}

/** Options of a FileStore. */
export interface FileStoreOptions<S> {
  /** The JSON state file, e.g. `.ai-agents/state/team-communication.json`. */
  file: string;
  /** Validates the state on every read and before every write. */
  schema: z.ZodType<S>;
  /** JSONL file that receives the events emitted by updates; without it events are dropped. */
  ledgerFile?: string;
  /** The state to start from while the file does not exist; without it a missing file is an error. */
  initial?: () => S;
  /** See `acquireLock`: a holder silent this long is presumed dead (default 10000, min 2000). */
  lockStaleMs?: number;
  /** How long `update()` waits for the lock before LockTimeoutError (default 30000). */
  lockTimeoutMs?: number;
  /** Interval of the polling fallback behind `watch()` (default 30000). */
  pollIntervalMs?: number;
  /** `<file>.bak` is refreshed at most this often (default 1000 ms; 0: on every commit). */
  backupIntervalMs?: number;
  /** The clock for `UpdateContext.now`. */
  now?: () => Date;
}

/** A StateStore on a JSON file guarded by proper-lockfile; the previous good version is kept as `<file>.bak`. */
export class FileStore<S extends { seq: number }, E extends { type: string }> implements StateStore<S, E> {
  readonly #file: string;
  readonly #schema: z.ZodType<S>;
  readonly #ledgerFile: string | undefined;
  readonly #initial: (() => S) | undefined;
  readonly #lockStaleMs: number;
  readonly #lockTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #now: () => Date;
  #hardLinkBackups = true;
  #copiedBackup = false;
  #backupAt = 0;
  readonly #backupIntervalMs: number;
  // Updates from this process queue here and are committed in groups, instead of racing for the file lock.
  #pending: PendingUpdate<S, E>[] = [];
  #flushing = false;
  // The last version seen, shared by every reader in this process until the file changes.
  #cache: { key: string; state: S; text: string } | undefined;
  #loading: { key: string; promise: Promise<S> } | undefined;

  constructor(options: FileStoreOptions<S>) {
    this.#file = options.file;
    this.#schema = options.schema;
    this.#ledgerFile = options.ledgerFile;
    this.#initial = options.initial;
    this.#lockStaleMs = Math.max(options.lockStaleMs ?? DEFAULT_LOCK_STALE_MS, MIN_LOCK_STALE_MS);
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#now = options.now ?? (() => new Date());
    this.#backupIntervalMs = options.backupIntervalMs ?? DEFAULT_BACKUP_INTERVAL_MS;
  }

  /** The state file this store reads and writes. */
  get file(): string {
    return this.#file;
  }

  /**
   * Reads without the lock: every write is an atomic rename, so a reader sees a
   * whole version. The result is validated, shared and deeply frozen: readers in
   * one process parse each version once. Change the state with `update()`.
   */
  async read(): Promise<S> {
    const key = await this.#statKey();
    if (key !== undefined && this.#cache?.key === key) return deepFreeze(this.#cache.state);
    if (key === undefined) return (await this.#load()).state;
    // Concurrent readers of the same version share one parse.
    if (this.#loading?.key !== key) {
      const promise = this.#load().then((loaded) => {
        const state = deepFreeze(loaded.state);
        // A slow load must not replace a newer version cached meanwhile by a write.
        if (loaded.text !== undefined && (this.#cache === undefined || this.#cache.state.seq <= state.seq)) {
          this.#cache = { key, state, text: loaded.text };
        }
        return state;
      });
      this.#loading = { key, promise };
      promise.then(
        () => {
          if (this.#loading?.promise === promise) this.#loading = undefined;
        },
        () => {
          if (this.#loading?.promise === promise) this.#loading = undefined;
        },
      );
    }
    return this.#loading.promise;
  }

  /** True when the state file is there. */
  async exists(): Promise<boolean> {
    try {
      await access(this.#file);
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * lock → read → fn → seq + 1 → validate → keep .bak → write atomically → append
   * events → unlock. Updates queued in this process meanwhile are committed
   * together (group commit): each runs in order and gets its own seq and events,
   * but they share one lock and one write. A function that throws changes nothing,
   * so `fn` must be free of side effects outside the state: when a function of
   * the same group throws, the others run again on a fresh copy.
   */
  update<T>(fn: (state: S, context: UpdateContext<E>) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, resolve: resolve as (value: unknown) => void, reject, solo: false });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const first = this.#pending[0] as PendingUpdate<S, E>;
        const batch = first.solo ? this.#pending.splice(0, 1) : this.#pending.splice(0, MAX_GROUP);
        await this.#commit(batch);
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #commit(batch: PendingUpdate<S, E>[]): Promise<void> {
    let compromise: Error | undefined;
    let release: () => Promise<void>;
    try {
      release = await acquireLock({
        file: this.#file,
        staleMs: this.#lockStaleMs,
        timeoutMs: this.#lockTimeoutMs,
        onCompromised: (error) => {
          compromise = error;
        },
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const lockedAt = Date.now();
    const staleMs = this.#lockStaleMs;
    // Nobody can take the lock over while its mtime is younger than staleMs, and it
    // was set just before lockedAt; half of staleMs leaves the other half for the
    // write and fsync. Past that we cannot prove we still hold it, so we do not write.
    const assertLockHeld = (): void => {
      const elapsedMs = Date.now() - lockedAt;
      if (compromise === undefined && elapsedMs < staleMs / 2) return;
      const why = compromise?.message ?? `held for ${elapsedMs} ms, over half the ${staleMs} ms stale time`;
      throw new LockLostError({
        file: this.#file,
        reason: `during update() (${why})`,
        consequence: 'nothing was written',
        hint: 'Keep update() functions fast, or raise lockStaleMs.',
        cause: compromise,
      });
    };
    let settle: () => void;
    try {
      settle = await this.#commitLocked(batch, assertLockHeld);
    } catch (error) {
      settle = () => {
        for (const item of batch) item.reject(error);
      };
    }
    await release().catch(() => undefined); // a failed release leaves a lock that goes stale; the write stands
    settle();
  }

  /** Runs the group on one copy of the state and writes it; returns how to settle each caller. */
  async #commitLocked(batch: PendingUpdate<S, E>[], assertLockHeld: () => void): Promise<() => void> {
    const key = await this.#statKey();
    const cached = key !== undefined && this.#cache?.key === key ? this.#cache : undefined;
    const loaded = cached === undefined ? await this.#load() : undefined;
    const baseText = cached?.text ?? loaded?.text;
    // A parse of text this store validated gives a mutable copy faster than a clone.
    const fresh = (): S =>
      baseText === undefined ? this.#validate((this.#initial as () => S)(), 'initial()') : (JSON.parse(baseText) as S);
    const at = this.#now().toISOString();
    const failed = new Map<PendingUpdate<S, E>, unknown>();
    let state: S;
    let done: { item: PendingUpdate<S, E>; value: unknown; events: E[]; seq: number }[];
    // One pass over the group; a throwing function is dropped and the pass starts again.
    for (;;) {
      state = fresh();
      done = [];
      let restart = false;
      for (const item of batch) {
        if (failed.has(item)) continue;
        const events: E[] = [];
        let open = true;
        const context: UpdateContext<E> = {
          now: at,
          emit: (event) => {
            if (!open) {
              throw new StateUpdateError({
                file: this.#file,
                message: `emit() was called after the update() of ${this.#file} returned; the event is lost.`,
              });
            }
            events.push(event);
          },
        };
        const previousSeq = state.seq;
        try {
          const value = item.fn(state, context);
          if (isPromiseLike(value)) {
            throw new TypeError(
              `update() of ${this.#file} needs a synchronous function, but it returned a promise; nothing was written. ` +
                'Do slow work before update() so the lock is never held across it.',
            );
          }
          state.seq = previousSeq + 1;
          done.push({ item, value, events, seq: state.seq });
        } catch (error) {
          failed.set(item, error);
          restart = true;
          break;
        } finally {
          open = false;
        }
      }
      if (!restart) break;
    }
    const settleFailed = (): void => {
      for (const [item, error] of failed) item.reject(error);
    };
    if (done.length === 0) return settleFailed;
    const parsed = validateData({ value: state, where: this.#file, schema: this.#schema });
    if (!parsed.ok) {
      if (done.length > 1) {
        // Someone produced an invalid state: commit the group one by one to find who.
        for (const entry of [...done].reverse()) this.#pending.unshift({ ...entry.item, solo: true });
        return settleFailed;
      }
      const only = done[0] as (typeof done)[number];
      failed.set(only.item, invalidStateError({ file: this.#file, origin: 'update()', error: parsed.error }));
      return settleFailed;
    }
    const next = parsed.value;
    const nextText = `${JSON.stringify(next, null, 2)}\n`;
    assertLockHeld();
    // The backup trails by at most backupIntervalMs: refreshing it on every commit cost a third of the commit.
    if (baseText !== undefined && Date.now() - this.#backupAt >= this.#backupIntervalMs) {
      await this.#keepBackup({ previousText: baseText, seq: next.seq });
      this.#backupAt = Date.now();
    }
    await writeFileAtomic(this.#file, nextText);
    const writtenKey = await this.#statKey();
    // Frozen lazily by the first read(): a burst of writes nobody reads costs no freezing.
    this.#cache = writtenKey === undefined ? undefined : { key: writtenKey, state: next, text: nextText };
    let ledgerError: unknown;
    const lines = done.flatMap((entry) => entry.events.map((event) => ({ event, seq: entry.seq })));
    if (lines.length > 0 && this.#ledgerFile !== undefined) {
      try {
        await this.#appendLedger({ ledgerFile: this.#ledgerFile, lines, at, seq: next.seq });
      } catch (error) {
        ledgerError = error;
      }
    }
    return () => {
      settleFailed();
      for (const entry of done) {
        if (ledgerError === undefined || entry.events.length === 0) entry.item.resolve(entry.value);
        else entry.item.reject(ledgerError);
      }
    };
  }

  /**
   * Calls `onChange` soon after the file changes: `fs.watch` on the directory
   * (a rename replaces the file's inode, which would end a watch on the file),
   * plus polling in case events are lost (network file systems, containers).
   */
  watch(onChange: () => void): () => void {
    const directory = dirname(this.#file);
    const name = basename(this.#file);
    let stopped = false;
    let pending = false;
    let watcher: FSWatcher | undefined;

    // A write produces several events (temp file, rename, lock dir); one call per macrotask.
    const schedule = (): void => {
      if (stopped || pending) return;
      pending = true;
      setImmediate(() => {
        pending = false;
        if (!stopped) onChange();
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
    }, this.#pollIntervalMs);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
      watcher?.close();
      watcher = undefined;
    };
  }

  /** Identifies one version of the file: every write renames a new inode into place. */
  async #statKey(): Promise<string | undefined> {
    try {
      const info = await stat(this.#file, { bigint: true });
      return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The state on disk and its text; the text is undefined when starting from `initial()`. */
  async #load(): Promise<{ state: S; text: string | undefined }> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      if (this.#initial === undefined) throw new StateMissingError({ file: this.#file });
      return { state: this.#validate(this.#initial(), 'initial()'), text: undefined };
    }
    const parsed = safeParseDataText({ text, where: this.#file, format: 'json', schema: this.#schema });
    if (!parsed.ok) throw new StateCorruptedError({ file: this.#file, problem: parsed.error.problem, cause: parsed.error });
    return { state: parsed.value, text };
  }

  /** Our own output failing the schema is a bug in the caller, not a bad file: say so and write nothing. */
  #validate(state: S, origin: string): S {
    const parsed = validateData({ value: state, where: this.#file, schema: this.#schema });
    if (parsed.ok) return parsed.value;
    throw invalidStateError({ file: this.#file, origin, error: parsed.error });
  }

  /**
   * Keeps the version about to be replaced as `<file>.bak`. A hard link costs
   * two metadata calls and no data: the writer never modifies the file in
   * place, so the linked inode keeps the old bytes once the new file is
   * renamed over the name. Readers always find the main file.
   */
  async #keepBackup(input: { previousText: string; seq: number }): Promise<void> {
    const backup = `${this.#file}.bak`;
    if (this.#hardLinkBackups) {
      const temp = siblingTempPath(backup);
      try {
        await link(this.#file, temp);
        await rename(temp, backup);
        return;
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        if (!HARD_LINK_UNSUPPORTED.has(errorCode(error) ?? '')) throw error;
        this.#hardLinkBackups = false;
      }
    }
    if (this.#copiedBackup && input.seq % COPY_BACKUP_EVERY !== 0) return;
    await writeFileAtomic(backup, input.previousText);
    this.#copiedBackup = true;
  }

  /** One append for all events of a commit, so a crash cuts at most the last lines. */
  async #appendLedger(input: { ledgerFile: string; lines: readonly { event: E; seq: number }[]; at: string; seq: number }): Promise<void> {
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
        stateFile: this.#file,
        ledgerFile: input.ledgerFile,
        seq: input.seq,
        events: input.lines.length,
        cause: error,
      });
    }
  }
}

/** Freezes a parsed state in depth so a shared cached version cannot be changed by accident. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
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
    throw error;
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

/** Our own output failing the schema is a bug in the caller, not a bad file. */
function invalidStateError(input: { file: string; origin: string; error: DataFileError }): StateUpdateError {
  return new StateUpdateError({
    file: input.file,
    message: `${input.origin} produced a state for ${input.file} that does not match its schema; nothing was written: ${input.error.problem}`,
    cause: input.error,
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
