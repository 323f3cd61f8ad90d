/** A webhook receiver for tests: a real HTTP server on loopback that records each delivery and answers as scripted. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface ReceivedDelivery {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  /** The body parsed. */
  readonly event: Record<string, unknown> & { event_id: string; type: string };
  /** The status it was answered with. */
  readonly answered: number;
}

/** A running receiver. */
export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly deliveries: ReceivedDelivery[];
  /** Resolves once a delivery satisfies `match` (the test's timeout bounds the wait). */
  waitFor(match: (delivery: ReceivedDelivery) => boolean): Promise<ReceivedDelivery>;
  close(): Promise<void>;
}

/**
 * Starts a receiver on `port` (0: any free one). `answer` picks each status from what came before
 * (default 200); it may return null to never answer (a slow receiver).
 */
export async function startReceiver(
  input: { port?: number; answer?: (event: ReceivedDelivery['event'], earlier: readonly ReceivedDelivery[]) => number | null } = {},
): Promise<WebhookReceiver> {
  const deliveries: ReceivedDelivery[] = [];
  const waiters: { match: (delivery: ReceivedDelivery) => boolean; resolve: (delivery: ReceivedDelivery) => void }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const event = JSON.parse(body) as ReceivedDelivery['event'];
      const status = input.answer === undefined ? 200 : input.answer(event, deliveries);
      const headers = Object.fromEntries(Object.entries(request.headers).map(([key, value]) => [key, String(value)]));
      const delivery: ReceivedDelivery = { headers, body, event, answered: status ?? 0 };
      deliveries.push(delivery);
      for (const waiter of waiters.filter((candidate) => candidate.match(delivery))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(delivery);
      }
      // null: the receiver never answers (the connection stays open until the sender gives up).
      if (status === null) return;
      response.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(input.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/agent-team?source=test`,
    port,
    deliveries,
    waitFor(match) {
      const found = deliveries.find(match);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** True when the delivery's signature is HMAC-SHA256 of "<timestamp>.<body>" under `secret`: checked with node:crypto alone. */
export function signatureHolds(delivery: ReceivedDelivery, secret: string): boolean {
  const timestamp = delivery.headers['x-agent-team-timestamp'] ?? '';
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex')}`);
  const given = Buffer.from(delivery.headers['x-agent-team-signature'] ?? '');
  return /^\d+$/.test(timestamp) && expected.length === given.length && timingSafeEqual(expected, given);
}
