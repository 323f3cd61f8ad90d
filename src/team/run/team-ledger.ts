/**
 * The run ledger wherever the store keeps it: the JSONL file beside the state file, or the ledger
 * rows of the run in PostgreSQL. Readers (the run record, `ledger`, the live progress) go through here.
 */
import type { TeamConfig } from '../../config/index.js';
import type { LedgerCorruptedError } from '../../errors/index.js';
import { WakeUp } from '../../queue/index.js';
import {
  followLedger,
  type LedgerEntry,
  type LedgerEvent,
  ledgerEventSchema,
  PostgresStore,
  readLedger,
  resetLedger,
} from '../../state/index.js';

type Entry = LedgerEntry<LedgerEvent>;

/** How to follow a ledger: as `followLedger` takes it, without the file. */
export interface FollowOptions {
  onEntry: (entry: Entry) => void;
  signal?: AbortSignal | undefined;
  until?: ((entry: Entry) => boolean) | undefined;
  whenQuiet?: ((quietPolls: number) => boolean | Promise<boolean>) | undefined;
  onSkippedLine?: ((error: LedgerCorruptedError) => void) | undefined;
  /** Show only what is appended from now on. */
  fromEnd?: boolean | undefined;
  /** The polling fallback's interval (default 1 s for the file, 2 s for the database, which also wakes on NOTIFY). */
  pollMs?: number | undefined;
}

/** The ledger of the run the store holds now: every entry since that run's `run-start` (the file store keeps only that run's). */
export async function readRunLedger(config: TeamConfig, input: { onSkippedLine?: FollowOptions['onSkippedLine'] } = {}): Promise<Entry[]> {
  const { store } = config;
  if (store.kind === 'file') return readLedger(config.ledgerFile, { eventSchema: ledgerEventSchema, onSkippedLine: input.onSkippedLine });
  const ledger = new PostgresStore({ url: store.url, run: store.key });
  try {
    return currentRun(await ledger.readLedger(await currentRunAfter(ledger)));
  } finally {
    await ledger.close();
  }
}

/** Starts the live ledger over for a new run: the file store truncates its file; the database keeps earlier runs' rows (a run is read from its `run-start`). */
export async function restartRunLedger(config: TeamConfig): Promise<void> {
  if (config.store.kind === 'file') await resetLedger(config.ledgerFile);
}

/** Follows the ledger of the store's run as `followLedger` follows the file: entries as they are written, until told to stop. */
export async function followRunLedger(config: TeamConfig, options: FollowOptions): Promise<void> {
  const { store } = config;
  if (store.kind === 'file') {
    await followLedger<LedgerEvent>({ file: config.ledgerFile, eventSchema: ledgerEventSchema, ...options });
    return;
  }
  const ledger = new PostgresStore({ url: store.url, run: store.key, pollIntervalMs: options.pollMs ?? 2000 });
  try {
    await followStore(ledger, options);
  } finally {
    await ledger.close();
  }
}

/**
 * The seq to read a database ledger after so that the current run's entries come first: the team's earlier runs,
 * kept before it under the same key, are not read. 0 when no run started.
 */
export async function currentRunAfter(ledger: PostgresStore): Promise<number> {
  const start = await ledger.lastLedgerSeq('run-start');
  return start === undefined ? 0 : start - 1;
}

/** Entries from the last `run-start` on: the database keeps every run of a team under its key. */
export function currentRun(entries: Entry[]): Entry[] {
  for (let index = entries.length - 1; index >= 0; index -= 1) {
    if ((entries[index] as Entry).type === 'run-start') return entries.slice(index);
  }
  return entries;
}

async function followStore(ledger: PostgresStore, options: FollowOptions): Promise<void> {
  const { signal } = options;
  const wakeUp = new WakeUp();
  const poke = (): void => wakeUp.poke();
  const stopWatch = ledger.watch(poke);
  signal?.addEventListener('abort', poke, { once: true });
  try {
    // From the end, or from the start of the run the store holds now, as the file holds only that run.
    let after = options.fromEnd === true ? ((await ledger.lastLedgerSeq()) ?? 0) : await currentRunAfter(ledger);
    let quiet = 0;
    for (;;) {
      const entries = await ledger.readLedger(after);
      for (const entry of entries) {
        options.onEntry(entry);
        after = entry.seq;
        if (options.until?.(entry) === true) return;
      }
      if (signal?.aborted === true) return;
      if (entries.length > 0) quiet = 0;
      else {
        quiet += 1;
        if ((await options.whenQuiet?.(quiet)) === true) return;
      }
      await wakeUp.wait(options.pollMs ?? 2000);
    }
  } finally {
    stopWatch();
    signal?.removeEventListener('abort', poke);
  }
}
