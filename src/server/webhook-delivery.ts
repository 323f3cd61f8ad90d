/** One attempt at delivering a webhook event: a signed POST that any 2xx acknowledges, bounded by a timeout. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { WebhookDeliveryOutcome } from '../observability/index.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './webhook-signature.js';
import type { WebhookEvent } from './webhook-event.js';

/** How an attempt ended: `delivered` (2xx), `http_error` (another status), `network_error` (no answer), `timeout`. */
export type DeliveryOutcome = WebhookDeliveryOutcome;

/** What one attempt met. */
export interface DeliveryResult {
  readonly outcome: DeliveryOutcome;
  /** The status, or the error, in words (never the secret, never the URL's query). */
  readonly detail: string;
}

/** The receiver named without its query and credentials (which may hold a receiver's own token): for logs and errors. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * POSTs `event` to `url`, signed with `secret` at `now`. Resolves with the outcome, never rejects;
 * `timeout` aborts a receiver that does not answer (its abort is the timeout), `signal` stops on shutdown.
 * `lookup` resolves the host when the connection is made (a callback's is checked, see callback-hosts.ts):
 * the address checked is the address connected to.
 */
export async function deliverWebhook(input: {
  url: string;
  event: WebhookEvent;
  secret: string;
  now: Date;
  timeout: AbortSignal;
  signal?: AbortSignal | undefined;
  userAgent: string;
  lookup?: LookupFunction | undefined;
}): Promise<DeliveryResult> {
  const body = JSON.stringify(input.event);
  const timestamp = String(Math.floor(input.now.getTime() / 1000));
  const signals = input.signal === undefined ? [input.timeout] : [input.timeout, input.signal];
  try {
    const status = await post({
      url: new URL(input.url),
      body,
      signal: AbortSignal.any(signals),
      lookup: input.lookup,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': input.userAgent,
        [EVENT_ID_HEADER]: input.event.event_id,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: webhookSignature({ secret: input.secret, timestamp, body }),
      },
    });
    // A redirect is not an acknowledgement (it is not followed): the receiver is told to fix its URL by the retries and the log.
    if (status >= 200 && status < 300) return { outcome: 'delivered', detail: `HTTP ${status}` };
    return { outcome: 'http_error', detail: `HTTP ${status}` };
  } catch (error) {
    if (input.timeout.aborted) return { outcome: 'timeout', detail: 'no answer before the timeout' };
    return { outcome: 'network_error', detail: error instanceof Error ? error.message : String(error) };
  }
}

/** One POST; resolves with the answer's status once its head arrived (its body is dropped, so the connection is free again). */
function post(input: {
  url: URL;
  body: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  lookup: LookupFunction | undefined;
}): Promise<number> {
  const { url } = input;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: input.headers,
        signal: input.signal,
        // A checked lookup gets a connection of its own, never one opened earlier without the check.
        ...(input.lookup === undefined ? {} : { lookup: input.lookup, agent: false }),
      },
      (response) => {
        response.on('error', () => undefined);
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(input.body);
  });
}
