/**
 * The state store on a local file: JSON validated on every read and write,
 * changed only under a cross-process lock, replaced atomically, with the
 * events of each change appended to a JSONL ledger under the same lock.
 */
import { existsSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import type { z } from 'zod';
import {
  AgentTeamError,
  type DataFileError,
  LockLostError,
  StateCorruptedError,
  StateMissingError,
  StateUpdateError,
  StorageError,
} from '../errors/index.js';
import { errorCode, removeStaleTemps, safeParseDataText, validateData, writeFileAtomic } from '../files/index.js';
import { acquireLock, DEFAULT_LOCK_STALE_MS, DEFAULT_LOCK_TIMEOUT_MS, MIN_LOCK_STALE_MS } from '../files/index.js';
import { appendLedgerLines, trimLedgerAfter } from './ledger-file.js';
import { runGroup } from './group-pass.js';
import { StateBackup } from './state-backup.js';
import { deepFreeze, StatePieces } from './state-pieces.js';
import { asStorageError, guardStorage, readingState, writingState } from './storage-failure.js';
import type { StateStore, UpdateContext, WatchScope } from './store.js';
import { watchFile } from './watch-file.js';

/** Default interval of the polling fallback behind `watch()`. */
export const DEFAULT_POLL_INTERVAL_MS = 30_000;

// How stale `<file>.bak` may get by default: a good recent version, not necessarily the one just replaced.
const DEFAULT_BACKUP_INTERVAL_MS = 1000;

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
  readonly #backup: StateBackup;
  #sweptTemps = false;
  #backupAt = 0;
  readonly #backupIntervalMs: number;
  // Updates from this process queue here and are committed in groups, instead of racing for the file lock.
  #pending: PendingUpdate<S, E>[] = [];
  #flushing = false;
  // The first storage failure of a commit: from then on this store writes nothing (see update()).
  #failure: StorageError | undefined;
  // The last version seen, shared by every reader in this process until the file changes.
  #cache: CachedVersion<S> | undefined;
  #loading: { key: string; promise: Promise<S> } | undefined;
  // The group commit running now, which close() lets finish.
  #flushed: Promise<void> = Promise.resolve();
  // The stop functions of the watches still open, which close() stops.
  readonly #watches = new Set<() => void>();
  #closed = false;
  // Validates and serializes only the entries of the state that changed (see StatePieces).
  readonly #pieces: StatePieces<S>;
  // A mutable copy of the cached version that this store's last commit left: the next commit runs on it instead
  // of parsing the whole file again. Taken by each commit; given back only by a commit that wrote.
  #work: { base: CachedVersion<S>; state: S } | undefined;
  // The version this store wrote last.
  #written: { state: S; bytes: Buffer } | undefined;

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
    this.#backup = new StateBackup(options.file);
    this.#pieces = new StatePieces(options.schema);
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
    this.#assertOpen('read()');
    const key = await this.#statKey();
    if (key !== undefined && this.#cache?.key === key) return deepFreeze(this.#cache.state);
    if (key === undefined) return (await this.#load()).state;
    // Concurrent readers of the same version share one parse.
    if (this.#loading?.key !== key) {
      const promise = this.#load().then((loaded) => {
        const state = deepFreeze(loaded.state);
        // A slow load must not replace a newer version cached meanwhile by a write, nor the same one (a load that
        // raced this store's own write finds the state it wrote, and the cache already holds it under the right key).
        const cached = this.#cache;
        const newer = cached === undefined || cached.state.seq < state.seq || (cached.state.seq === state.seq && cached.state !== state);
        if (loaded.bytes !== undefined && newer) {
          this.#cache = { key, state, bytes: loaded.bytes };
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
      throw asStorageError(error, readingState(this.#file));
    }
  }

  /**
   * lock → read → fn → seq + 1 → validate → keep .bak → write atomically → append
   * events → unlock. Updates queued in this process meanwhile are committed
   * together (group commit): each runs in order and gets its own seq and events,
   * but they share one lock and one write. A function that throws changes nothing,
   * so `fn` must be free of side effects outside the state: when a function of
   * the same group throws, the others run again on a fresh copy. The store keeps
   * the state it gave `fn` for its next commit, so what `fn` returns must not be
   * part of it: return values or copies.
   *
   * A commit the disk refuses (full, read-only, a directory in the way) rejects
   * with a StorageError, and every later update() of this store with the same
   * one, without touching the disk: the process is to end, leaving the last good
   * state for a resumed run, rather than write some changes and not others.
   */
  update<T>(fn: (state: S, context: UpdateContext<E>) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#closed) {
        reject(this.#closedError('update()'));
        return;
      }
      if (this.#failure !== undefined) {
        reject(this.#failure);
        return;
      }
      this.#pending.push({ fn, resolve: resolve as (value: unknown) => void, reject, solo: false });
      if (!this.#flushing) this.#flushed = this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        if (this.#failure !== undefined) {
          for (const item of this.#pending.splice(0)) item.reject(this.#failure);
          break;
        }
        const first = this.#pending[0] as PendingUpdate<S, E>;
        const batch = first.solo ? this.#pending.splice(0, 1) : this.#pending.splice(0, MAX_GROUP);
        await this.#commit(batch);
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #commit(batch: PendingUpdate<S, E>[]): Promise<void> {
    // Temps of writers that died (or that a read-only disk kept from cleaning up) go once, at this store's first commit.
    if (!this.#sweptTemps) {
      this.#sweptTemps = true;
      await removeStaleTemps(this.#file).catch(() => undefined);
      // And those of the backup's hard link (state-backup.ts): a writer of this process may be making one.
      await removeStaleTemps(`${this.#file}.bak`, { othersOnly: true }).catch(() => undefined);
    }
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
      const operation = writingState(this.#file, 'lock the state file');
      // No state yet: there is no run to resume, only one to start.
      const fresh = !existsSync(this.#file) ? { kept: 'Nothing was written: no run was started.', next: 'start the run again' } : {};
      const failure = this.#noteFailure(asStorageError(error, { ...operation, ...fresh }));
      for (const item of batch) item.reject(failure);
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
      this.#noteFailure(error);
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
    const base = cached ?? loaded;
    const baseBytes = base?.bytes;
    // The copy our last commit left, when the file is still that version; it leaves with this commit.
    const work = this.#work !== undefined && this.#work.base === cached ? this.#work.state : undefined;
    this.#work = undefined;
    let reuse = work !== undefined;
    // A parse of text this store validated gives a mutable copy faster than a clone.
    const fresh = (): S => {
      if (reuse) {
        reuse = false;
        return work as S;
      }
      return baseBytes === undefined
        ? this.#validate((this.#initial as () => S)(), 'initial()')
        : (JSON.parse(baseBytes.toString('utf8')) as S);
    };
    const at = this.#now().toISOString();
    const { state, done, failed } = runGroup({ batch, fresh, at, file: this.#file });
    const settleFailed = (): void => {
      for (const [item, error] of failed) item.reject(error);
    };
    if (done.length === 0) return settleFailed;
    const settled = this.#settle(state, base?.state);
    if (!settled.ok) {
      if (done.length > 1) {
        // Someone produced an invalid state: commit the group one by one to find who.
        for (const entry of [...done].reverse()) this.#pending.unshift({ ...entry.item, solo: true });
        return settleFailed;
      }
      const only = done[0] as (typeof done)[number];
      failed.set(only.item, invalidStateError({ file: this.#file, origin: 'update()', error: settled.error }));
      return settleFailed;
    }
    const next = settled.state;
    const nextBytes = settled.bytes;
    assertLockHeld();
    // The backup trails by at most backupIntervalMs: refreshing it on every commit cost a third of the commit.
    if (baseBytes !== undefined && Date.now() - this.#backupAt >= this.#backupIntervalMs) {
      await guardStorage({ ...writingState(this.#file, 'keep the backup'), file: `${this.#file}.bak` }, () =>
        this.#backup.keep({ previous: baseBytes, seq: next.seq }),
      );
      this.#backupAt = Date.now();
    }
    // The events go to the ledger before the state is replaced: a process that dies in between leaves events of a
    // change the state never got, which the next commit cuts off (their seq is above the state's). The other way
    // round, a change would stay in the state with its events lost for good.
    if (this.#ledgerFile !== undefined) {
      const ledgerFile = this.#ledgerFile;
      const baseSeq = (done[0] as (typeof done)[number]).seq - 1;
      const lines = done.flatMap((entry) => entry.events.map((event) => ({ event, seq: entry.seq })));
      await guardStorage({ ...writingState(this.#file, 'cut off the ledger events of an unfinished change'), file: ledgerFile }, () =>
        trimLedgerAfter(ledgerFile, baseSeq),
      );
      if (lines.length > 0) await appendLedgerLines({ stateFile: this.#file, ledgerFile, lines, at, seq: next.seq });
    }
    // A reader that finds this version on disk before the commit ends takes it from here instead of parsing it.
    this.#written = { state: next, bytes: nextBytes };
    await guardStorage(writingState(this.#file, 'write the state file'), () => writeFileAtomic(this.#file, nextBytes));
    const writtenKey = await this.#statKey();
    // Settled versions come frozen (their new entries froze as they were made); read() freezes any other lazily.
    this.#cache = writtenKey === undefined ? undefined : { key: writtenKey, state: next, bytes: nextBytes };
    // A state validated whole keeps no working copy: only a split one can tell its copy apart from what was written.
    if (this.#cache !== undefined && this.#pieces.splits) {
      this.#pieces.align(state, next, base?.state);
      this.#work = { base: this.#cache, state };
    }
    return () => {
      settleFailed();
      for (const entry of done) entry.item.resolve(entry.value);
    };
  }
  /**
   * Calls `onChange` soon after the file changes: `fs.watch` on the directory
   * (a rename replaces the file's inode, which would end a watch on the file),
   * plus polling in case events are lost (network file systems, containers). A file tells no change from another:
   * every scope is told of every change.
   */
  watch(onChange: () => void, _scope?: WatchScope): () => void {
    this.#assertOpen('watch()');
    const stopWatch = watchFile({ file: this.#file, pollIntervalMs: this.#pollIntervalMs, onChange });
    const stop = (): void => {
      this.#watches.delete(stop);
      stopWatch();
    };
    this.#watches.add(stop);
    return stop;
  }

  /**
   * Lets the updates already asked for commit (the lock is only ever held inside a commit, so none
   * is held after), stops every watch, and makes every later call reject. Closing twice is harmless.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const stop of [...this.#watches]) stop();
    // The running group commit drains the whole queue; each update's caller hears of its own failure.
    await this.#flushed.catch(() => undefined);
    this.#cache = undefined;
    this.#loading = undefined;
    this.#work = undefined;
    this.#written = undefined;
  }

  #assertOpen(call: string): void {
    if (this.#closed) throw this.#closedError(call);
  }

  #closedError(call: string): AgentTeamError {
    return new AgentTeamError(
      'state_store_closed',
      `${call} was called on the store of ${this.#file} after close(); open a new store to go on.`,
    );
  }

  /** Identifies one version of the file: every write renames a new inode into place. */
  async #statKey(): Promise<string | undefined> {
    try {
      const info = await stat(this.#file, { bigint: true });
      return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw asStorageError(error, readingState(this.#file));
    }
  }

  /** The state on disk and its bytes; the bytes are undefined when starting from `initial()`. */
  async #load(): Promise<{ state: S; bytes: Buffer | undefined }> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#file);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw asStorageError(error, readingState(this.#file));
      if (this.#initial === undefined) throw new StateMissingError({ file: this.#file });
      return { state: this.#validate(this.#initial(), 'initial()'), bytes: undefined };
    }
    if (this.#written?.bytes.equals(bytes) === true) return { state: this.#written.state, bytes };
    const text = bytes.toString('utf8');
    // Entries equal to those of the version in memory are not validated again (another process changed a few).
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const adopted = value === undefined ? undefined : this.#pieces.adopt(value, this.#cache?.state ?? this.#written?.state);
    if (adopted !== undefined) return { state: adopted, bytes };
    // Not valid: the whole-file parse says where, with line and column or the dot path.
    const parsed = safeParseDataText({ text, where: this.#file, format: 'json', schema: this.#schema });
    if (!parsed.ok) throw new StateCorruptedError({ file: this.#file, problem: parsed.error.problem, cause: parsed.error });
    return { state: parsed.value, bytes };
  }

  /** Validates a state produced by update(): only its changed entries, unless it is invalid (then the whole, to say why). */
  #settle(state: S, previous: S | undefined): { ok: true; state: S; bytes: Buffer } | { ok: false; error: DataFileError } {
    const settled = this.#pieces.settle(state, previous);
    if (settled !== undefined) return { ok: true, ...settled };
    const parsed = validateData({ value: state, where: this.#file, schema: this.#schema });
    if (!parsed.ok) return { ok: false, error: parsed.error };
    const text = `${JSON.stringify(parsed.value, null, 2)}\n`;
    return { ok: true, state: JSON.parse(text) as S, bytes: Buffer.from(text) };
  }

  /** Remembers the first StorageError of a commit, after which this store writes nothing; returns `error`. */
  #noteFailure(error: unknown): unknown {
    if (error instanceof StorageError) this.#failure ??= error;
    return error;
  }

  /** Our own output failing the schema is a bug in the caller, not a bad file: say so and write nothing. */
  #validate(state: S, origin: string): S {
    const parsed = validateData({ value: state, where: this.#file, schema: this.#schema });
    if (parsed.ok) return parsed.value;
    throw invalidStateError({ file: this.#file, origin, error: parsed.error });
  }
}

/** A version of the state file as this process last saw it: its identity (see #statKey), the state and the bytes. */
interface CachedVersion<S> {
  readonly key: string;
  readonly state: S;
  readonly bytes: Buffer;
}

/** Our own output failing the schema is a bug in the caller, not a bad file. */
function invalidStateError(input: { file: string; origin: string; error: DataFileError }): StateUpdateError {
  return new StateUpdateError({
    file: input.file,
    message: `${input.origin} produced a state for ${input.file} that does not match its schema; nothing was written: ${input.error.problem}`,
    cause: input.error,
  });
}
