/**
 * The webhook outbox: one file per (event, receiver) under `<data-dir>/webhooks/outbox/`, written durably
 * (atomic write, fsync) before any attempt and removed only once the receiver answered 2xx, so a process
 * killed at any moment delivers it on its next start. Deliveries given up on move to `webhooks/dead/`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from '@hono/zod-openapi';
import { DataFileError } from '../errors/index.js';
import { errorCode, readDataFile, removeStaleTemps, writeJsonFileAtomic } from '../files/index.js';
import { webhookEventSchema } from './webhook-event.js';

const ENTRY_VERSION = 1;

const outboxEntrySchema = z.object({
  version: z.literal(ENTRY_VERSION),
  url: z.string(),
  event: webhookEventSchema,
  /** Attempts made so far (each failed, or the entry would be gone). */
  attempts: z.number().int().nonnegative(),
  createdAt: z.string(),
  /** What the last attempt met: an HTTP status, a network error or a timeout. */
  lastError: z.string().nullable(),
});
/** One delivery waiting in the outbox. */
export type OutboxEntry = z.infer<typeof outboxEntrySchema>;

/** The webhooks directory of a server's data directory. */
export function webhooksDirectory(dataDir: string): string {
  return join(dataDir, 'webhooks');
}

/** The durable queue of deliveries to make. */
export class WebhookOutbox {
  readonly #pending: string;
  readonly #dead: string;

  constructor(dataDir: string) {
    this.#pending = join(webhooksDirectory(dataDir), 'outbox');
    this.#dead = join(webhooksDirectory(dataDir), 'dead');
  }

  /** Where deliveries wait. */
  get directory(): string {
    return this.#pending;
  }

  /** Where deliveries given up on are kept (with their last error) for a person to look at. */
  get deadDirectory(): string {
    return this.#dead;
  }

  /** Creates the folders, and removes the temp files of writes a killed process left half done. */
  async open(): Promise<void> {
    await mkdir(this.#pending, { recursive: true });
    await mkdir(this.#dead, { recursive: true });
    for (const name of await readdir(this.#pending)) {
      // `.<entry>.<pid>.<random>.tmp`, as siblingTempPath names them.
      const target = /^\.(.+\.json)\.\d+\.[0-9a-f]+\.tmp$/.exec(name)?.[1];
      if (target !== undefined) await removeStaleTemps(join(this.#pending, target));
    }
  }

  /** The name of the delivery of `eventId` to `url`: the same event found again overwrites its own entry. */
  static entryName(eventId: string, url: string): string {
    return `${eventId}-${createHash('sha256').update(url).digest('hex').slice(0, 12)}.json`;
  }

  /** Writes a new delivery durably; answers its name. */
  async put(input: { url: string; event: OutboxEntry['event']; now: Date }): Promise<string> {
    const name = WebhookOutbox.entryName(input.event.event_id, input.url);
    const entry: OutboxEntry = {
      version: ENTRY_VERSION,
      url: input.url,
      event: input.event,
      attempts: 0,
      createdAt: input.now.toISOString(),
      lastError: null,
    };
    await writeJsonFileAtomic(join(this.#pending, name), entry);
    return name;
  }

  /** The names of the deliveries waiting, oldest event files first by name order (ids are not ordered: order is not promised). */
  async names(): Promise<string[]> {
    try {
      return (await readdir(this.#pending)).filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
  }

  /** A waiting delivery; undefined when it is gone (delivered meanwhile), DataFileError when the file is damaged. */
  async read(name: string): Promise<OutboxEntry | undefined> {
    return readDataFile({ file: join(this.#pending, name), format: 'json', schema: outboxEntrySchema });
  }

  /** Records a failed attempt durably, so the cap on attempts holds across restarts. */
  async update(name: string, entry: OutboxEntry): Promise<void> {
    await writeJsonFileAtomic(join(this.#pending, name), entry);
  }

  /** Forgets a delivered entry. */
  async remove(name: string): Promise<void> {
    await rm(join(this.#pending, name), { force: true });
  }

  /** Moves a delivery given up on to the dead-letter folder, with its last error. */
  async bury(name: string, entry: OutboxEntry | { damaged: string }): Promise<void> {
    await writeJsonFileAtomic(join(this.#dead, name), entry);
    await rm(join(this.#pending, name), { force: true });
  }
}

/** True for an outbox file that cannot be read as an entry (it is buried rather than retried forever). */
export function isDamagedEntry(error: unknown): error is DataFileError {
  return error instanceof DataFileError;
}
