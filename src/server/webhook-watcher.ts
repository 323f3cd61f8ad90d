/**
 * Watches every task of the data directory for status changes, by reading what the store holds (records
 * and run ledgers) rather than hooking the code that changes them, so changes made by any process are
 * seen. Each new event is written to the outbox for each receiver, then the task's cursor moves past it.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { getLogger } from '../observability/index.js';
import { type CallbackHosts, callbackHostProblem } from './callback-hosts.js';
import { ServiceError } from './service-error.js';
import { listTaskIds, taskDirectory } from './task-config.js';
import type { TaskRuns } from './task-runs.js';
import { FINAL_STATUSES, taskStatus } from './task-status.js';
import { readCursor, writeCursor } from './webhook-cursor.js';
import type { WebhookOutbox } from './webhook-outbox.js';
import { START_CURSOR, taskEvents } from './webhook-task-events.js';
import { realTimers, type WebhookTimers } from './webhook-timers.js';

const log = getLogger('webhooks');

/** Default pause between two scans. */
export const DEFAULT_SCAN_INTERVAL_MS = 500;

/** On a database store, a task not running in this process is read on one pass in this many. */
const DATABASE_IDLE_EVERY_PASSES = 10;

/** What the watcher needs. */
export interface WebhookWatcherOptions {
  readonly runs: TaskRuns;
  readonly dataDir: string;
  readonly outbox: WebhookOutbox;
  /** Receivers of every task (a task's `metadata.callback_url` adds its own). */
  readonly urls: readonly string[];
  /** The hosts a task's callback may name; a task taken under another setting is not called back to a host this one refuses. */
  readonly callbackHosts?: CallbackHosts | undefined;
  /** Called with each outbox entry written, once its task's cursor is past it. */
  readonly onQueued: (name: string) => void;
  readonly intervalMs?: number | undefined;
  readonly timers?: WebhookTimers | undefined;
  readonly now?: (() => Date) | undefined;
}

/** Scans the tasks now and then until closed. */
export class WebhookWatcher {
  readonly #options: WebhookWatcherOptions;
  readonly #timers: WebhookTimers;
  /** Tasks over for good: not read again by this process. */
  readonly #finished = new Set<string>();
  /** What each task's files looked like at its last scan (file store), to skip the ones that did not change. */
  readonly #seen = new Map<string, string>();
  #scanning: Promise<void> | undefined;
  #nextScan: Promise<void> | undefined;
  #timer: unknown;
  #closed = false;
  #passes = 0;
  /** Tasks whose callback this server refuses, logged once. */
  readonly #refused = new Set<string>();

  constructor(options: WebhookWatcherOptions) {
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
  }

  /** The task's callback when this server may call it; one it refuses (taken before the host list changed) is left out, once logged. */
  #callbackOf(taskId: string, url: string | undefined): string | undefined {
    if (url === undefined) return undefined;
    const problem = callbackHostProblem(url, this.#options.callbackHosts ?? { patterns: [] });
    if (problem === null) return url;
    if (!this.#refused.has(taskId)) log.warn('callback not sent', { task_id: taskId, reason: problem });
    this.#refused.add(taskId);
    return undefined;
  }

  /**
   * Starts scanning. With `baselineBefore`, the first pass only marks where each task submitted before it
   * is (webhooks just turned on for this data directory: receivers get changes from now on, not every task's past).
   */
  start(input: { baselineBefore: Date | null }): void {
    void this.scan(input).finally(() => this.#schedule());
  }

  /**
   * One whole pass over every task, begun after this call: with a pass under way, the one after it.
   * `sparse` (the timer's passes) reads a database task not running here on one pass in a few only.
   */
  scan(input: { baselineBefore?: Date | null; sparse?: boolean } = {}): Promise<void> {
    if (this.#scanning === undefined) {
      this.#scanning = this.#scanAll(input.baselineBefore ?? null, input.sparse === true).finally(() => {
        this.#scanning = undefined;
      });
      return this.#scanning;
    }
    // The pass under way may have listed the tasks before the change the caller knows of.
    this.#nextScan ??= this.#scanning.then(() => {
      this.#nextScan = undefined;
      return this.scan();
    });
    return this.#nextScan;
  }

  /** Stops scanning; waits for the pass under way. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    await this.#scanning;
    await this.#nextScan;
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      void this.scan({ sparse: true }).finally(() => this.#schedule());
    }, this.#options.intervalMs ?? DEFAULT_SCAN_INTERVAL_MS);
  }

  async #scanAll(baselineBefore: Date | null, sparse: boolean): Promise<void> {
    this.#passes += 1;
    const { runs } = this.#options;
    for (const taskId of await listTaskIds(this.#options.dataDir)) {
      if (this.#closed) return;
      if (this.#finished.has(taskId)) continue;
      // A database store has no file to look at cheaply: a task not running here is read every few passes only.
      const database = runs.configFor(taskId).store.kind !== 'file';
      if (sparse && database && !runs.isActive(taskId) && this.#passes % DATABASE_IDLE_EVERY_PASSES !== 1) continue;
      try {
        await this.#scanTask(taskId, baselineBefore);
      } catch (error) {
        // One unreadable task (a damaged state, a database away) does not stop the others; the next pass tries again.
        log.warn('task not scanned for webhook events', {
          taskId,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
      }
    }
  }

  async #scanTask(taskId: string, baselineBefore: Date | null): Promise<void> {
    const { runs, dataDir, outbox, urls } = this.#options;
    const config = runs.configFor(taskId);
    let stamp: string | undefined;
    if (config.store.kind === 'file') {
      // Looked at before reading: a change made while this pass reads is seen again by the next one.
      const files = await Promise.all([config.ledgerFile, `${config.stateFile}`].map((file) => stat(file).catch(() => null)));
      const record = await stat(join(taskDirectory(dataDir, taskId), 'request.json')).catch(() => null);
      stamp = JSON.stringify([...files, record].map((found) => (found === null ? null : [found.size, found.mtimeMs])));
      if (this.#seen.get(taskId) === stamp) return;
    }
    const ledger = await runs.ledgers.read(config);
    let snapshot: Awaited<ReturnType<TaskRuns['snapshot']>>;
    try {
      snapshot = await runs.snapshot(taskId);
    } catch (error) {
      // Gone since the listing (its planning was refused), or not submitted yet.
      if (error instanceof ServiceError && error.status === 404) return;
      throw error;
    }
    const { record, state } = snapshot;
    const receivedAt = record.receivedAt;
    const saved = await readCursor({ dataDir, taskId, receivedAt });
    const found = taskEvents({ record, ledger, state, cursor: saved ?? START_CURSOR });
    const names: string[] = [];
    const baseline = saved === null && baselineBefore !== null && Date.parse(receivedAt) < baselineBefore.getTime();
    if (!baseline) {
      const callback = this.#callbackOf(taskId, record.request.metadata.callback_url);
      const targets = [...new Set(callback === undefined ? urls : [...urls, callback])];
      const now = this.#options.now?.() ?? new Date();
      for (const event of found.events) {
        for (const url of targets) names.push(await outbox.put({ url, event, now }));
      }
    }
    if (found.events.length > 0 || saved === null) await writeCursor({ dataDir, taskId, receivedAt, cursor: found.cursor });
    for (const name of names) this.#options.onQueued(name);
    if (stamp !== undefined) this.#seen.set(taskId, stamp);
    if (FINAL_STATUSES.has(taskStatus(snapshot)) && !snapshot.active && state?.run.owner == null) this.#finished.add(taskId);
  }
}
