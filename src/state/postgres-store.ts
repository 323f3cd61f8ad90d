/**
 * The team state in PostgreSQL, for runs whose agents work from many machines: one row per task,
 * blocker, message, agent and reservation, a budget row whose CHECK constraint refuses overspending,
 * and a ledger row per update. Every commit is serialized on the run row, whose seq it moves on by
 * one per update. A commit first runs the queued update functions on this process's copy of the
 * newest version it knows, and sends what they changed in one statement (agent_team_commit, see
 * postgres-migrations.ts) that writes it only if the run's seq is still that of the copy: the run
 * row is locked only while the server runs that statement, one round trip. When another process
 * committed meanwhile, nothing is written and the refusal brings the rows changed since; the
 * functions then run again, as in the file store, under the lock: one transaction that locks the
 * run row, catches up, runs them and writes (two round trips with the lock held). A process that
 * hears of newer commits (through its watch) or whose tries were refused lately takes the lock at
 * once (see Optimism): among many busy writers most tries would be refused, each a wasted run.
 * Either way only the rows the functions changed are written, with the ledger and a NOTIFY.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AgentTeamError, StateMissingError, StateUpdateError, StorageError } from '../errors/index.js';
import { runGroup } from './group-pass.js';
import type { LedgerEvent } from './ledger-events.js';
import { type PostgresRetry, RunConnections, StartOver } from './postgres-connections.js';
import { isBudgetViolation, overspentError } from './postgres-failure.js';
import { ledgerEntries } from './postgres-ledger.js';
import { RunWatches, runChannel } from './postgres-listen.js';
import {
  beginLocked,
  type CommitWrites,
  commitExists,
  commitIfAt,
  writeLocked,
  insertRun,
  lastLedgerSeq,
  ledgerRows,
  loadRows,
  readSeq,
  writeAndCommit,
} from './postgres-queries.js';
import { diffState } from './postgres-diff.js';
import type { CollectionName } from './postgres-rows.js';
import { applyRows, assembleState, mutableState, type RowChanges, type Snapshot, type TableRow } from './postgres-snapshot.js';
import { PostgresTransitions } from './postgres-transitions.js';
import { assertPostgresUrl, describeRunLocation } from './postgres-url.js';
import { committedCopy, rebasedCopy, revertedCopy, type WorkingCopy, workingCopyOf } from './postgres-working-copy.js';
import type { LedgerEntry, StateStore, UpdateContext, WatchScope } from './store.js';
import type { TeamState } from './team-state.js';

/** Default interval of the polling fallback behind `watch()`. */
export const DEFAULT_POSTGRES_POLL_INTERVAL_MS = 30_000;

// Most updates committed in one transaction.
const MAX_GROUP = 64;
// Commits tried without the run row's lock, each on the version the last refusal brought, before one that takes it.
const OPTIMISTIC_ATTEMPTS = 1;
// Removed entries leave tombstones (so other processes learn of the removal from the changed rows); every
// `everySeqs` updates those older than `keepSeqs` updates are deleted, and a copy older than that reloads.
const DEFAULT_PURGE = { everySeqs: 1000, keepSeqs: 1000 };

type Update = (state: TeamState, context: UpdateContext<LedgerEvent>) => unknown;

/** An update waiting for its group commit. */
interface PendingUpdate {
  fn: Update;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Commit alone (after its group produced an invalid state or overspent). */
  solo: boolean;
}

/** Options of a PostgresStore. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database`, `postgresql://…`, or a unix socket: `postgresql://user@localhost/db?host=/dir`. */
  url: string;
  /** The run's key in the database: one database holds many runs. */
  run: string;
  /** The state to start from while the run has no row; without it a missing run is an error. */
  initial?: () => TeamState;
  /** Interval of the polling fallback behind `watch()` (default 30000). */
  pollIntervalMs?: number;
  /** The clock for `UpdateContext.now`. */
  now?: () => Date;
  /** Attempts of a transaction cut by a lost connection (default 8), and the backoff between them (100 ms doubling to 5 s). */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Hears of each retry (they are also logged at warn level). */
  onRetry?: (retry: PostgresRetry) => void;
  /** Connections of this store's pool besides its LISTEN connection (default 4). */
  poolSize?: number;
  /** How often tombstones of removed entries are deleted (default every 1000 updates) and how many updates' worth are kept (1000). */
  purge?: { everySeqs?: number; keepSeqs?: number };
  /**
   * How long a session of this store may sit idle inside a transaction before the server ends it (default 10000): a
   * process frozen mid-commit holds the run row's lock, and the rest of the team waits for it at most this long.
   */
  lockHoldLimitMs?: number;
}

/** A StateStore on PostgreSQL; see the file comment. */
export class PostgresStore implements StateStore<TeamState, LedgerEvent> {
  readonly #run: string;
  readonly #where: string;
  readonly #initial: (() => TeamState) | undefined;
  readonly #now: () => Date;
  readonly #purge: { everySeqs: number; keepSeqs: number };
  // The run's purged_seq as last read or written here.
  #purgedSeq = 0;
  readonly #connections: RunConnections;
  readonly #channel: string;
  // The newest version of the run this process has seen, and its assembled state once someone read it.
  #snapshot: Snapshot | undefined;
  #assembled: { snapshot: Snapshot; state: TeamState } | undefined;
  // The state this store's last commit left, for the next one to run on (see postgres-working-copy.ts). Taken by
  // each commit, and given back only by a commit that wrote: what it holds after a failed update is not trusted.
  #work: WorkingCopy | undefined;
  #pending: PendingUpdate[] = [];
  readonly #optimism = new Optimism();
  #flushing = false;
  #flushed: Promise<void> = Promise.resolve();
  // The first StorageError of a commit: from then on this store writes nothing (as the file store).
  #failure: StorageError | undefined;
  readonly #watches: RunWatches;
  /** Claims and done reports as single statements of the server (see postgres-transitions-sql.ts). */
  readonly transitions: PostgresTransitions;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    assertPostgresUrl(options.url);
    this.#run = options.run;
    this.#where = describeRunLocation({ url: options.url, run: options.run });
    this.#initial = options.initial;
    this.#now = options.now ?? (() => new Date());
    this.#purge = { ...DEFAULT_PURGE, ...options.purge };
    this.#connections = new RunConnections({
      url: options.url,
      where: this.#where,
      poolSize: options.poolSize,
      lockHoldLimitMs: options.lockHoldLimitMs,
      retry: options.retry,
      onRetry: options.onRetry,
    });
    this.#channel = runChannel(options.run);
    this.#watches = new RunWatches({
      client: this.#connections.clientConfig,
      channel: this.#channel,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POSTGRES_POLL_INTERVAL_MS,
      knownSeq: () => this.#snapshot?.seq,
      readSeq: () => this.#connections.once((client) => readSeq(client, this.#run)),
    });
    this.transitions = new PostgresTransitions({
      connections: this.#connections,
      run: this.#run,
      where: this.#where,
      channel: this.#channel,
      now: this.#now,
      knownSeq: () => this.#snapshot?.seq,
      committed: (seq, work) => this.#watches.committed(seq, work),
      assertOpen: (call) => this.#assertOpen(call),
    });
  }

  /** Where the state lives, as errors name it: the run and the database's URL without its password. */
  get where(): string {
    return this.#where;
  }

  /** A consistent snapshot: the rows changed since this process's copy, read in one statement and applied to it. */
  async read(): Promise<TeamState> {
    this.#assertOpen('read()');
    const snapshot = await this.#connections.retrying({ action: 'read the state of', kept: 'Nothing was changed.' }, (client) =>
      this.#catchUp(client),
    );
    return this.#stateOf(snapshot);
  }

  /** True when the run has its row. */
  async exists(): Promise<boolean> {
    this.#assertOpen('exists()');
    const seq = await this.#connections.retrying({ action: 'read the state of', kept: 'Nothing was changed.' }, (client) =>
      readSeq(client, this.#run),
    );
    return seq !== undefined;
  }

  /**
   * BEGIN → lock the run row → catch up → fn → seq + 1 → check the changed entries → write the changed
   * rows and the ledger → NOTIFY → COMMIT. Updates queued in this process meanwhile share one
   * transaction (each with its own seq and events). If `fn` throws, nothing of it is written; it must be
   * free of side effects outside the state, since a group may run it again. The store keeps the state it
   * gave `fn` for its next commit (as the file store does), so what `fn` returns must not be part of it:
   * return values or copies.
   */
  update<T>(fn: (state: TeamState, context: UpdateContext<LedgerEvent>) => T): Promise<T> {
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

  /**
   * Calls `onChange` soon after the run changes (of `scope`, see WatchScope): LISTEN/NOTIFY, with polling as the
   * fallback. Returns a stop function.
   */
  watch(onChange: () => void, scope: WatchScope = 'all'): () => void {
    this.#assertOpen('watch()');
    return this.#watches.add(onChange, scope);
  }

  /** Lets the updates already asked for commit, stops every watch, ends every connection; every later call rejects. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      const watchesClosed = this.#watches.close();
      await this.#flushed.catch(() => undefined);
      await watchesClosed;
      await this.#connections.end();
      this.#snapshot = undefined;
      this.#assembled = undefined;
      this.#work = undefined;
    })();
    return this.#closing;
  }

  /** The run's ledger after `afterSeq`, one entry per event, each with its update's seq and time. */
  async readLedger(afterSeq = 0): Promise<LedgerEntry<LedgerEvent>[]> {
    this.#assertOpen('readLedger()');
    const rows = await this.#connections.retrying({ action: 'read the ledger of', kept: 'Nothing was changed.' }, (client) =>
      ledgerRows(client, { run: this.#run, afterSeq }),
    );
    return ledgerEntries({ rows, where: this.#where });
  }

  /**
   * The seq of the run's last ledger row, or with `eventType` of the last update that recorded an event of that type
   * (`run-start`: where the current run's ledger begins, when the team's earlier runs are kept before it); undefined
   * when there is none. Read by the server: no ledger row is sent.
   */
  async lastLedgerSeq(eventType?: LedgerEvent['type']): Promise<number | undefined> {
    this.#assertOpen('lastLedgerSeq()');
    return this.#connections.retrying({ action: 'read the ledger of', kept: 'Nothing was changed.' }, (client) =>
      lastLedgerSeq(client, { run: this.#run, eventType }),
    );
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        if (this.#failure !== undefined) {
          for (const item of this.#pending.splice(0)) item.reject(this.#failure);
          break;
        }
        const first = this.#pending[0] as PendingUpdate;
        const batch = first.solo ? this.#pending.splice(0, 1) : this.#pending.splice(0, MAX_GROUP);
        await this.#commit(batch);
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #commit(batch: PendingUpdate[]): Promise<void> {
    // Set just before the writes and COMMIT are sent: if the connection is lost meanwhile, the next attempt asks whether they went through.
    let sent: { commitId: string; afterSeq: number; outcome: CommitOutcome } | undefined;
    let outcome: CommitOutcome;
    try {
      outcome = await this.#connections.retrying(
        { action: 'commit an update to', kept: 'Nothing of this update was written: the database holds the last committed state.' },
        async (client) => {
          if (sent !== undefined) {
            const earlier = sent;
            sent = undefined;
            if (await commitExists(client, { run: this.#run, afterSeq: earlier.afterSeq, commitId: earlier.commitId }))
              return earlier.outcome;
          }
          for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt += 1) {
            const base = this.#snapshot;
            if (base === undefined || !this.#mayTryOptimistic(base)) break;
            const result = this.#prepare(batch, base);
            if (result.kind === 'split') return result;
            // Nothing to write (every update threw, or the state is not valid): decided again under the lock, on the newest version.
            if (result.writes === undefined) break;
            sent = { commitId: result.commitId, afterSeq: result.baseSeq, outcome: result };
            const rows = await commitIfAt(client, { expected: base.seq, writes: result.writes });
            this.#optimism.tried(rows === undefined);
            if (rows === undefined) return result;
            sent = undefined;
            // Someone committed since `base`: put the working copy back, catch up with the rows the refusal carried, run again.
            if (result.reverted !== undefined) this.#work = result.reverted();
            if (rows.length === 0) break;
            await this.#catchUp(client, { base, rows });
          }
          try {
            const result = await this.#commitLocked(client, batch);
            if (result.writes === undefined) {
              await client.query('ROLLBACK');
              return result;
            }
            sent = { commitId: result.commitId, afterSeq: result.baseSeq, outcome: result };
            // A new run's row was inserted with its seq already: its rows go in the long way.
            if (result.writes.runRow === 'inserted') await writeAndCommit(client, result.writes);
            else if (!(await writeLocked(client, { expected: result.baseSeq, writes: result.writes })))
              throw new StartOver('the run moved on while its row was locked');
            return result;
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
        },
      );
    } catch (error) {
      if (isBudgetViolation(error) && batch.length > 1) {
        // One update of the group overspent: commit them one by one so that only it fails.
        this.#pending.unshift(...batch.map((item) => ({ ...item, solo: true })));
        return;
      }
      const failure = isBudgetViolation(error)
        ? overspentError({ error, where: this.#where, runId: (this.#snapshot?.run.value as { id?: string } | undefined)?.id ?? this.#run })
        : error;
      if (failure instanceof StorageError) this.#failure ??= failure;
      for (const item of batch) item.reject(failure);
      return;
    }
    if (outcome.snapshot !== undefined) {
      this.#purgedSeq = Math.max(this.#purgedSeq, outcome.writes?.purgeHorizon ?? 0);
      this.#install(outcome.snapshot, 'committed');
      if (this.#snapshot === outcome.snapshot && outcome.written !== undefined) {
        this.#work = committedCopy({ ...outcome.written, snapshot: outcome.snapshot });
      }
    }
    outcome.settle();
    // Every update() wakes the watches of work too.
    if (outcome.snapshot !== undefined) this.#watches.committed(outcome.snapshot.seq, true);
  }

  /**
   * True when a commit on `base` without the lock is worth a try: no newer seq was heard of (through a watch),
   * and the last tries were not refused (see Optimism).
   */
  #mayTryOptimistic(base: Snapshot): boolean {
    const heard = this.#watches.heardSeq;
    if (heard !== undefined && heard > base.seq) return false;
    return this.#optimism.mayTry();
  }

  /** BEGIN, lock, catch up, run the group, and say what to write (a new run is inserted here). */
  async #commitLocked(client: pg.PoolClient, batch: PendingUpdate[]): Promise<CommitOutcome> {
    const known = this.#snapshot;
    const locked = await beginLocked(client, { run: this.#run, afterSeq: known?.seq });
    if (locked.seq !== undefined) return this.#prepare(batch, await this.#catchUp(client, { base: known, rows: locked.rows }));
    const initial = this.#initial;
    if (initial === undefined) throw new StateMissingError({ file: this.#where, location: 'database' });
    const result = this.#prepare(batch, undefined, () => structuredClone(initial()));
    // Another process created the run between our lock attempt and now: start again from its rows.
    if (result.writes !== undefined && !(await insertRun(client, { run: this.#run, row: result.writes.changes.run })))
      throw new StartOver('the run was created meanwhile');
    return result;
  }

  /**
   * Runs the group on `base` (the working copy when it is of that version; `initial` when the run is new)
   * and says what to write. Nothing is sent: the caller commits it with or without the run row's lock.
   */
  #prepare(batch: PendingUpdate[], base: Snapshot | undefined, initial?: () => TeamState): CommitOutcome {
    let fresh: () => TeamState;
    let work: WorkingCopy | undefined;
    if (base === undefined) {
      fresh = initial as () => TeamState;
    } else {
      // The working copy kept since the last commit, or one made now (after a read, or a commit of another process's
      // version): tracked either way, so the diff compares only what the group reached.
      work = this.#work?.snapshot === base ? this.#work : workingCopyOf(base);
      this.#work = undefined;
      let reuse: WorkingCopy | undefined = work;
      // The first pass runs on the working copy; a pass after an update threw gets a mutable copy of its own of the
      // shared, frozen state.
      fresh = () => {
        const state = reuse?.state ?? mutableState(base);
        reuse = undefined;
        return state;
      };
    }
    const at = this.#now().toISOString();
    const { state, done, failed } = runGroup({ batch, fresh, at, file: this.#where });
    const settleFailed = (): void => {
      for (const [item, error] of failed) item.reject(error);
    };
    const nothing: CommitOutcome = {
      kind: 'none',
      snapshot: undefined,
      written: undefined,
      writes: undefined,
      reverted: undefined,
      settle: settleFailed,
      commitId: '',
      baseSeq: 0,
    };
    if (done.length === 0) return nothing;
    const onWork = work !== undefined && state === work.state ? work : undefined;
    const diff = diffState({ base, state, tracked: onWork?.tracked });
    if (!diff.ok) {
      if (done.length > 1) {
        // Someone produced an invalid state: commit the group one by one to find who.
        for (const entry of [...done].reverse()) this.#pending.unshift({ ...entry.item, solo: true });
        return { ...nothing, kind: 'split' };
      }
      const only = (done[0] as (typeof done)[number]).item;
      failed.set(
        only,
        new StateUpdateError({
          file: this.#where,
          message: `update() produced a state for ${this.#where} that does not match its schema; nothing was written: ${diff.problem}`,
        }),
      );
      return nothing;
    }
    const { snapshot, changes, touched } = diff;
    const seq = base?.seq;
    const horizon = snapshot.seq - this.#purge.keepSeqs;
    // Once the horizon is everySeqs past the last purge this process knows of, whoever made the commits since (other
    // processes, the server's transitions, which never purge).
    const purge = seq !== undefined && horizon > 0 && horizon >= this.#purgedSeq + this.#purge.everySeqs;
    const commitId = randomUUID();
    const writes: CommitWrites = {
      run: this.#run,
      runRow: seq === undefined ? 'inserted' : snapshot.run === base?.run ? 'seq' : { row: changes.run },
      seq: snapshot.seq,
      changes,
      purgeHorizon: purge ? horizon : undefined,
      ledger: { at, commitId, updates: done.map((entry) => ({ seq: entry.seq, events: entry.events })) },
      channel: this.#channel,
    };
    return {
      kind: 'write',
      snapshot,
      written: { state, changes, touched, previous: onWork },
      writes,
      reverted: onWork === undefined ? undefined : () => revertedCopy({ work: onWork, changes, touched }),
      commitId,
      baseSeq: seq ?? -1,
      settle: () => {
        settleFailed();
        for (const entry of done) entry.item.resolve(entry.value);
      },
    };
  }

  /**
   * The run as it is now: this process's copy, with the rows changed since applied (all rows the first time).
   * `loaded`: the rows changed since `base` were read already (with the lock).
   */
  async #catchUp(client: pg.ClientBase, loaded?: { base: Snapshot | undefined; rows: TableRow[] }): Promise<Snapshot> {
    const base = loaded === undefined ? this.#snapshot : loaded.base;
    let rows = loaded?.rows ?? (await loadRows(client, { run: this.#run, afterSeq: base?.seq }));
    if (rows.length === 0) throw new StateMissingError({ file: this.#where, location: 'database' });
    const runRow = rows.find((entry) => entry.table === 'runs')?.row;
    const runSeq = Number(runRow?.seq);
    this.#purgedSeq = Math.max(this.#purgedSeq, Number(runRow?.purged_seq ?? 0));
    if (base !== undefined && runSeq === base.seq) return base;
    let from = base;
    // The run went back (restored from a backup, recreated): our copy is of another history. Or our copy
    // is older than the purged tombstones: the rows changed since may not tell every removal.
    if (base !== undefined && (runSeq < base.seq || base.seq < Number(runRow?.purged_seq ?? 0))) {
      from = undefined;
      rows = await loadRows(client, { run: this.#run, afterSeq: undefined });
      if (rows.length === 0) throw new StateMissingError({ file: this.#where, location: 'database' });
    }
    const applied = applyRows({ base: from, rows, where: this.#where });
    const { snapshot } = applied;
    // Only a working copy of the version these rows were applied to can follow them.
    const work = this.#work;
    if (work !== undefined && from !== undefined && work.snapshot === from) this.#work = rebasedCopy(work, applied);
    this.#install(snapshot, from === undefined && base !== undefined ? 'replace' : 'read');
    return snapshot;
  }

  /**
   * Keeps `snapshot` as this process's copy unless a newer one is kept already; `how`: 'replace' when the
   * run's history went back, 'committed' for the version a commit of this process wrote, which wins over an
   * equal one a read caught up to meanwhile (the working copy follows that object, and is dropped otherwise).
   */
  #install(snapshot: Snapshot, how: 'read' | 'committed' | 'replace' = 'read'): void {
    const kept = this.#snapshot;
    if (how === 'replace' || kept === undefined || snapshot.seq > kept.seq || (how === 'committed' && snapshot.seq === kept.seq)) {
      this.#snapshot = snapshot;
    }
  }

  #stateOf(snapshot: Snapshot): TeamState {
    // Made from the state assembled last: the lists are copied with the entries that changed put in.
    if (this.#assembled?.snapshot !== snapshot) this.#assembled = { snapshot, state: assembleState(snapshot, this.#assembled) };
    return this.#assembled.state;
  }

  #assertOpen(call: string): void {
    if (this.#closed) throw this.#closedError(call);
  }

  #closedError(call: string): AgentTeamError {
    return new AgentTeamError(
      'state_store_closed',
      `${call} was called on the store of ${this.#where} after close(); open a new store to go on.`,
    );
  }
}

/** What a commit attempt produced: the new version (undefined when nothing was written) and how to settle its callers. */
interface CommitOutcome {
  /** 'split': the group goes back to the queue one by one, nothing is settled; 'none': nothing to write. */
  readonly kind: 'write' | 'none' | 'split';
  readonly snapshot: Snapshot | undefined;
  /** The working copy the group ran on, made equal to its version again (undefined when that cannot be done). */
  readonly reverted: (() => WorkingCopy | undefined) | undefined;
  /** What to write and commit; undefined when nothing is to be written. */
  readonly writes: CommitWrites | undefined;
  /** The group's state and the rows written from it, which become the working copy once committed. */
  readonly written:
    | {
        state: TeamState;
        changes: RowChanges;
        touched: ReadonlyMap<CollectionName, readonly string[]>;
        previous: WorkingCopy | undefined;
      }
    | undefined;
  readonly commitId: string;
  readonly baseSeq: number;
  readonly settle: () => void;
}

// Commits that take the lock at once after a refused try: doubled by each refusal up to the most, back to none on a success.
const MOST_LOCKED_AFTER_REFUSAL = 64;

/**
 * When commits without the lock are tried. Alone on a run (or nearly), every one goes through and saves a
 * round trip with the lock held; among many busy writers most are refused, each a wasted run of the group,
 * so after a refusal the next commits take the lock at once, more of them after each refusal in a row.
 */
class Optimism {
  #skip = 0;
  #skipping = 0;

  /** True when this commit may try without the lock. */
  mayTry(): boolean {
    if (this.#skipping === 0) return true;
    this.#skipping -= 1;
    return false;
  }

  /** Records how a try went. */
  tried(went: boolean): void {
    this.#skip = went ? 0 : Math.min(MOST_LOCKED_AFTER_REFUSAL, this.#skip * 2 + 1);
    this.#skipping = this.#skip;
  }
}
