/**
 * The ledgers of many runs, read again and again by a long-lived process (the service answers about a
 * run, totals its spend and sends its webhooks while it grows): each read costs what was appended
 * since the last one, not the whole ledger. It returns what readRunLedger returns. A file ledger is
 * read from where the last read stopped (see LedgerFileReader); a database ledger from the last seq
 * read, after checking that the update at that seq is still the one read (a run restored from a
 * backup or recreated is read again whole), through a store kept with it, whose connections serve
 * the next reads (its pool lets a connection idle for a while go). The ledgers kept are bounded by
 * their entries in all: the least recently read go first, their stores closed; and only the stores of the
 * few ledgers read last stay open (a ledger whose store was closed is read on through a new one).
 */
import type { TeamConfig } from '../../config/index.js';
import { type LedgerEntry, type LedgerEvent, LedgerFileReader, ledgerEventSchema, PostgresStore } from '../../state/index.js';
import { currentRun, currentRunAfter } from './team-ledger.js';

type Entry = LedgerEntry<LedgerEvent>;

/** Entries kept over all ledgers by default. */
export const DEFAULT_KEPT_LEDGER_ENTRIES = 200_000;
/**
 * Database stores (each holding a connection a while after its read) kept open by default: those of the ledgers read
 * last. A pass over every task of a service reads them one after another; a store each would hold as many connections.
 */
export const DEFAULT_OPEN_LEDGER_STORES = 4;

/** A database run's ledger as read so far: the current run's entries and the last update read. */
interface DatabaseLedger {
  entries: Entry[];
  lastSeq: number;
  lastAt: string | undefined;
}

type Kept =
  | { kind: 'file'; reader: LedgerFileReader<LedgerEvent>; size: number }
  | { kind: 'database'; ledger: DatabaseLedger; store: PostgresStore | undefined; size: number };

/** Incremental readers of the ledgers of the runs a process looks at; see the file comment. */
export class RunLedgerReader {
  // In the order they were last read (a Map keeps insertion order): the first is the least recently read.
  readonly #kept = new Map<string, Kept>();
  readonly #maxEntries: number;
  readonly #maxOpenStores: number;
  #entries = 0;

  constructor(options: { maxEntries?: number | undefined; maxOpenStores?: number | undefined } = {}) {
    this.#maxEntries = options.maxEntries ?? DEFAULT_KEPT_LEDGER_ENTRIES;
    this.#maxOpenStores = options.maxOpenStores ?? DEFAULT_OPEN_LEDGER_STORES;
  }

  /** Entries kept over all ledgers now. */
  get keptEntries(): number {
    return this.#entries;
  }

  /** Database stores open now (each may hold a connection). */
  get openStores(): number {
    return this.#open().length;
  }

  /** The ledger of the run `config`'s store holds now: a new array each time. */
  async read(config: TeamConfig): Promise<Entry[]> {
    const { store } = config;
    const key = store.kind === 'file' ? `file:${config.ledgerFile}` : `postgres:${store.url}#${store.key}`;
    const known = this.#kept.get(key);
    let kept: Kept;
    let entries: Entry[];
    if (store.kind === 'file') {
      const reader =
        known?.kind === 'file' ? known.reader : new LedgerFileReader<LedgerEvent>(config.ledgerFile, { eventSchema: ledgerEventSchema });
      entries = await reader.read();
      kept = { kind: 'file', reader, size: reader.size };
    } else {
      const ledger = known?.kind === 'database' ? known.ledger : { entries: [], lastSeq: 0, lastAt: undefined };
      const database = (known?.kind === 'database' ? known.store : undefined) ?? new PostgresStore({ url: store.url, run: store.key });
      try {
        entries = await readDatabaseLedger({ store: database, ledger });
      } catch (error) {
        // Not kept: the next read starts with a new store, so a store that failed (a lost server) is not used again.
        if (known !== undefined) this.#forget(key);
        await database.close().catch(() => undefined);
        throw error;
      }
      kept = { kind: 'database', ledger, store: database, size: ledger.entries.length };
    }
    this.#entries -= known?.size ?? 0;
    this.#kept.delete(key);
    this.#kept.set(key, kept);
    this.#entries += kept.size;
    this.#trim(key);
    this.#closeIdleStores();
    return entries;
  }

  /** The database ledgers whose store is open, least recently read first. */
  #open(): { kind: 'database'; store: PostgresStore | undefined }[] {
    return [...this.#kept.values()].flatMap((kept) => (kept.kind === 'database' && kept.store !== undefined ? [kept] : []));
  }

  /** Closes the stores of all but the ledgers read last (their entries stay: a later read opens a store again). */
  #closeIdleStores(): void {
    const open = this.#open();
    for (const kept of open.slice(0, Math.max(0, open.length - this.#maxOpenStores))) {
      void kept.store?.close().catch(() => undefined);
      kept.store = undefined;
    }
  }

  /** Forgets every ledger read and closes the stores kept with them; a later read starts again. */
  async close(): Promise<void> {
    const open = this.#open();
    this.#kept.clear();
    this.#entries = 0;
    await Promise.all(open.map((kept) => kept.store?.close()));
  }

  /** Forgets the least recently read ledgers until the entries kept are within the bound (the one just read stays). */
  #trim(current: string): void {
    for (const key of [...this.#kept.keys()]) {
      if (this.#entries <= this.#maxEntries) return;
      if (key !== current) this.#forget(key);
    }
  }

  /** Forgets one ledger; its store, if any, is closed in the background (a failure to close loses nothing). */
  #forget(key: string): void {
    const kept = this.#kept.get(key);
    if (kept === undefined) return;
    this.#kept.delete(key);
    this.#entries -= kept.size;
    if (kept.kind === 'database') void kept.store?.close().catch(() => undefined);
  }
}

/** Reads the database ledger's updates after the last one read, moving `ledger` on; the current run's entries. */
async function readDatabaseLedger(input: { store: PostgresStore; ledger: DatabaseLedger }): Promise<Entry[]> {
  const { ledger, store } = input;
  // From the last update read, to check that it is still there as read; the first time, from the current run's start.
  let rows = await store.readLedger(ledger.lastSeq > 0 ? ledger.lastSeq - 1 : await currentRunAfter(store));
  if (ledger.lastSeq > 0 && rows.find((entry) => entry.seq === ledger.lastSeq)?.at !== ledger.lastAt) {
    ledger.entries = [];
    ledger.lastSeq = 0;
    rows = await store.readLedger(await currentRunAfter(store));
  }
  const fresh = rows.filter((entry) => entry.seq > ledger.lastSeq);
  ledger.entries = currentRun(fresh.length === 0 ? ledger.entries : [...ledger.entries, ...fresh]);
  const last = ledger.entries.at(-1);
  ledger.lastSeq = last?.seq ?? ledger.lastSeq;
  ledger.lastAt = last?.at ?? ledger.lastAt;
  return [...ledger.entries];
}
