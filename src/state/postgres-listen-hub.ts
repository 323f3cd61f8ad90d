/**
 * One LISTEN connection per database in a process, shared by the run listeners of all its stores (see RunListener):
 * a process serving many teams holds one listening session per database, not one per run and scope. PostgreSQL
 * signals every listening session of a database on each NOTIFY, so this is also what each commit of any team costs
 * the server per process. A lost connection (a server restart) is made again with backoff; every channel is then
 * listened to again, and each subscriber told, since notifications sent meanwhile are lost.
 */
import type pg from 'pg';
import { getLogger } from '../observability/index.js';
import { loadPg } from './postgres-driver.js';

const logger = getLogger('state.postgres');

// The first wait before connecting again; it doubles up to the smallest cap the subscribers ask for.
const FIRST_RECONNECT_MS = 100;

/** Who listens to a channel through the hub. */
export interface ChannelSubscriber {
  /** A notification on the channel, with its payload. */
  notified(payload: string): void;
  /** The channel is listened to (again): what was sent before may have been missed. */
  listening(): void;
  /** The longest wait before connecting again after a lost connection. */
  readonly reconnectCapMs: number;
}

/** The shared LISTEN connection of one database (connection settings) in this process. */
export class ListenHub {
  static readonly #hubs = new Map<string, ListenHub>();

  /** The hub of the database `client` connects to, made when none is open. */
  static for(client: pg.ClientConfig): ListenHub {
    const key = JSON.stringify(client);
    let hub = ListenHub.#hubs.get(key);
    if (hub === undefined) {
      hub = new ListenHub(key, client);
      ListenHub.#hubs.set(key, hub);
    }
    return hub;
  }

  readonly #key: string;
  readonly #config: pg.ClientConfig;
  readonly #channels = new Map<string, Set<ChannelSubscriber>>();
  #client: pg.Client | undefined;
  // Set once the connection is made and every channel listened to.
  #ready = false;
  // The channels the connection listens to.
  readonly #listened = new Set<string>();
  #reconnect: NodeJS.Timeout | undefined;
  #reconnectMs = FIRST_RECONNECT_MS;

  private constructor(key: string, config: pg.ClientConfig) {
    this.#key = key;
    this.#config = config;
  }

  /** Listens to `channel` for `subscriber`; the returned function stops that (the last one closes the connection). */
  subscribe(channel: string, subscriber: ChannelSubscriber): () => Promise<void> {
    let subscribers = this.#channels.get(channel);
    const added = subscribers === undefined;
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#channels.set(channel, subscribers);
    }
    subscribers.add(subscriber);
    if (this.#client === undefined && this.#reconnect === undefined) this.#connect();
    else if (this.#ready && this.#client !== undefined) {
      // While connecting, the connection listens to every channel before it is ready, this one too.
      const client = this.#client;
      const listen = added ? this.#listen(client, channel) : Promise.resolve();
      // A failure here is the connection's: its 'error' or 'end' makes it again and listens to every channel.
      listen.then(() => subscriber.listening()).catch(() => undefined);
    }
    let stopped = false;
    return () => {
      if (stopped) return Promise.resolve();
      stopped = true;
      return this.#unsubscribe(channel, subscriber);
    };
  }

  async #unsubscribe(channel: string, subscriber: ChannelSubscriber): Promise<void> {
    const subscribers = this.#channels.get(channel);
    subscribers?.delete(subscriber);
    if (subscribers === undefined || subscribers.size > 0) return;
    this.#channels.delete(channel);
    if (this.#channels.size === 0) return this.#close();
    const client = this.#client;
    if (client !== undefined && this.#listened.delete(channel)) {
      await client.query(`UNLISTEN ${client.escapeIdentifier(channel)}`).catch(() => undefined);
    }
  }

  async #listen(client: pg.Client, channel: string): Promise<void> {
    await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    if (this.#client === client) this.#listened.add(channel);
  }

  /** No channel is left: the connection ends, and the next subscriber of this database makes a new hub. */
  #close(): Promise<void> {
    if (ListenHub.#hubs.get(this.#key) === this) ListenHub.#hubs.delete(this.#key);
    clearTimeout(this.#reconnect);
    this.#reconnect = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#ready = false;
    this.#listened.clear();
    return client === undefined ? Promise.resolve() : client.end().catch(() => undefined);
  }

  #connect(): void {
    this.#reconnect = undefined;
    if (this.#channels.size === 0) return;
    void (async () => {
      let driver: typeof pg;
      try {
        driver = await loadPg();
      } catch (error) {
        // Without the driver there is nothing to listen with: the subscribers' polling goes on alone.
        logger.warn('run listener cannot load the pg driver; polling only', { error: String(error) });
        return;
      }
      if (this.#channels.size === 0 || this.#client !== undefined) return;
      const client = new driver.Client(this.#config);
      client.on('error', (error) => this.#lost(client, error));
      client.on('end', () => this.#lost(client, undefined));
      client.on('notification', (message) => {
        for (const subscriber of [...(this.#channels.get(message.channel) ?? [])]) subscriber.notified(message.payload ?? '');
      });
      this.#client = client;
      try {
        await client.connect();
        // Channels subscribed while these LISTENs are sent are listened to as well.
        for (;;) {
          const missing = [...this.#channels.keys()].filter((channel) => !this.#listened.has(channel));
          if (missing.length === 0 || this.#client !== client) break;
          for (const channel of missing) await this.#listen(client, channel);
        }
      } catch (error) {
        this.#lost(client, error);
        return;
      }
      if (this.#client !== client) return;
      this.#ready = true;
      this.#reconnectMs = FIRST_RECONNECT_MS;
      // Changes made before the LISTEN (or while the connection was down) sent notifications nobody heard.
      for (const subscribers of [...this.#channels.values()]) for (const subscriber of [...subscribers]) subscriber.listening();
    })();
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    this.#ready = false;
    this.#listened.clear();
    client.end().catch(() => undefined);
    if (this.#channels.size === 0) return;
    logger.debug('run listener connection lost; connecting again', { error: String(error) });
    const delayMs = this.#reconnectMs;
    const capMs = Math.min(...[...this.#channels.values()].flatMap((subscribers) => [...subscribers].map((one) => one.reconnectCapMs)));
    this.#reconnectMs = Math.min(this.#reconnectMs * 2, capMs);
    this.#reconnect = setTimeout(() => this.#connect(), delayMs);
    this.#reconnect.unref();
  }
}
