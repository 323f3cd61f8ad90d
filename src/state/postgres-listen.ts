/**
 * Wake-ups of a run's watchers: LISTEN on the run's channel through the process's one listening connection to the
 * database (see ListenHub; the commits that may give someone something to do NOTIFY the new seq: every update() and
 * some transitions, see WatchScope), with polling of the run's seq as the fallback; the watches of every change poll
 * often, for the commits no one is told of (a change a poll finds wakes them). Once the channel is listened to (again,
 * after a lost connection), the seq is checked, since notifications sent before were not heard.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ListenHub } from './postgres-listen-hub.js';
import type { WatchScope } from './store.js';

/** What a RunListener needs. */
export interface RunListenerOptions {
  /** Settings of the listening connection (the store's, with its own application name). */
  readonly client: pg.ClientConfig;
  /** The run's channel (NOTIFY payload: the new seq). */
  readonly channel: string;
  readonly pollIntervalMs: number;
  /** The run's seq now (through the store's pool), or undefined when it cannot be read. */
  readonly readSeq: () => Promise<number | undefined>;
  /** The last seq this process knows, so that a change before the first check is not missed. */
  readonly knownSeq: () => number | undefined;
  /** Called once per change seen. */
  readonly onChange: () => void;
}

/** LISTEN (through the process's connection to the database, see ListenHub) plus polling for one run, shared by every watch of a store. */
export class RunListener {
  readonly #options: RunListenerOptions;
  #lastSeq: number | undefined;
  #poll: NodeJS.Timeout | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #stopped = false;

  constructor(options: RunListenerOptions) {
    this.#options = options;
    this.#lastSeq = options.knownSeq();
  }

  /** Starts listening and polling. */
  start(): void {
    this.#poll = setInterval(() => void this.#check(), this.#options.pollIntervalMs);
    this.#poll.unref();
    this.#unsubscribe = ListenHub.for(this.#options.client).subscribe(this.#options.channel, {
      notified: (payload) => this.#seen(Number(payload), true),
      // Changes made before the LISTEN (or while the connection was down) sent notifications nobody heard.
      listening: () => void this.#check(),
      reconnectCapMs: this.#options.pollIntervalMs,
    });
  }

  /** Stops listening (the process's LISTEN connection ends with its last listener) and polling; no call of onChange follows. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    await this.#unsubscribe?.();
  }

  /** This process committed `seq`: a change, heard at once (its notification, when it comes, is then no news). */
  committed(seq: number): void {
    this.#seen(seq, true);
  }

  /** The newest seq heard of (notified, polled or committed here), if any. */
  get lastSeq(): number | undefined {
    return this.#lastSeq;
  }

  async #check(): Promise<void> {
    const seq = await this.#options.readSeq().catch(() => undefined);
    if (seq !== undefined) this.#seen(seq, false);
  }

  #seen(seq: number, notified: boolean): void {
    if (this.#stopped || !Number.isFinite(seq)) return;
    if (this.#lastSeq !== undefined && seq <= this.#lastSeq) return;
    const first = this.#lastSeq === undefined;
    this.#lastSeq = seq;
    // A first seq read by polling only sets where changes start from; a notification always is a change.
    if (notified || !first) this.#options.onChange();
  }
}

/** The channel the commits of run `run` that may give someone something to do NOTIFY with their seq. */
export function runChannel(run: string): string {
  return `agent_team_${createHash('sha256').update(run).digest('hex').slice(0, 32)}`;
}

/** How often the watches of every change poll the run's seq at the most: they hear of claims so. */
export const EVERY_CHANGE_POLL_MS = 250;

/**
 * The watches of one store, by scope: one RunListener per scope while any watch of it is open, both on the run's
 * channel ('all' polling every EVERY_CHANGE_POLL_MS at the most, 'work' only as the fallback), each watch called
 * on every change its listener hears.
 */
export class RunWatches {
  readonly #listenerOptions: Omit<RunListenerOptions, 'onChange'>;
  readonly #scopes = new Map<WatchScope, ScopeWatches>();
  #stopped: Promise<void> = Promise.resolve();

  constructor(listenerOptions: Omit<RunListenerOptions, 'onChange'>) {
    this.#listenerOptions = listenerOptions;
  }

  /** Starts a watch of the changes of `scope`; returns its stop function. */
  add(onChange: () => void, scope: WatchScope = 'all'): () => void {
    let watches = this.#scopes.get(scope);
    if (watches === undefined) {
      // Keyed by each watch's stop function: the same callback may be watching twice.
      const callbacks = new Map<() => void, () => void>();
      const { pollIntervalMs } = this.#listenerOptions;
      const listener = new RunListener({
        ...this.#listenerOptions,
        pollIntervalMs: scope === 'all' ? Math.min(pollIntervalMs, EVERY_CHANGE_POLL_MS) : pollIntervalMs,
        onChange: () => {
          for (const watcher of [...callbacks.values()]) watcher();
        },
      });
      watches = { callbacks, listener };
      this.#scopes.set(scope, watches);
      listener.start();
    }
    const { callbacks, listener } = watches;
    const stop = (): void => {
      if (!callbacks.delete(stop) || callbacks.size > 0 || this.#scopes.get(scope)?.listener !== listener) return;
      this.#scopes.delete(scope);
      this.#stopped = Promise.all([this.#stopped, listener.stop()]).then(() => undefined);
    };
    callbacks.set(stop, onChange);
    return stop;
  }

  /**
   * Wakes the watches of this process's own commit of `seq` without waiting for its notification: one
   * sent before the LISTEN connection is up would never come, and a first check that finds the seq
   * already there takes it as where changes start. `work`: whether the commit was one of work (it NOTIFYed).
   */
  committed(seq: number, work: boolean): void {
    this.#scopes.get('all')?.listener.committed(seq);
    if (work) this.#scopes.get('work')?.listener.committed(seq);
  }

  /** The newest seq of the run heard of while a watch is open (undefined otherwise; a watch of work hears of fewer). */
  get heardSeq(): number | undefined {
    const heard = [...this.#scopes.values()].flatMap(({ listener }) => (listener.lastSeq === undefined ? [] : [listener.lastSeq]));
    return heard.length === 0 ? undefined : Math.max(...heard);
  }

  /** Stops every watch and waits until the LISTEN connections are closed. */
  async close(): Promise<void> {
    for (const { callbacks } of [...this.#scopes.values()]) for (const stop of [...callbacks.keys()]) stop();
    await this.#stopped;
  }
}

/** The open watches of one scope and the listener they share. */
interface ScopeWatches {
  readonly callbacks: Map<() => void, () => void>;
  readonly listener: RunListener;
}
