/** The run ledger as the PostgreSQL store keeps it (a row per update, its events as a JSON array), read back as entries. */
import { LedgerCorruptedError } from '../errors/index.js';
import { ledgerEventSchema } from './ledger-event-schema.js';
import type { LedgerEvent } from './ledger-events.js';
import type { LedgerEntry } from './store.js';

/** One entry per event of the ledger rows, each checked with the event schema and given its update's seq and time. */
export function ledgerEntries(input: {
  rows: readonly { seq: number; at: string; events: unknown }[];
  where: string;
}): LedgerEntry<LedgerEvent>[] {
  return input.rows.flatMap((row) => {
    const events: unknown[] = Array.isArray(row.events) ? row.events : [row.events];
    return events.map((event) => {
      const parsed = ledgerEventSchema.safeParse(event);
      if (!parsed.success) {
        throw new LedgerCorruptedError({
          file: `${input.where} table ledger`,
          line: row.seq,
          problem: `not a valid event: ${parsed.error.message}`,
        });
      }
      return { ...(parsed.data as LedgerEvent), seq: row.seq, at: row.at };
    });
  });
}
