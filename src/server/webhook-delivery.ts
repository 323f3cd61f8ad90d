/** One attempt at delivering a webhook event: a signed POST that any 2xx acknowledges, bounded by a timeout. */
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
 */
export async function deliverWebhook(input: {
  url: string;
  event: WebhookEvent;
  secret: string;
  now: Date;
  timeout: AbortSignal;
  signal?: AbortSignal | undefined;
  userAgent: string;
}): Promise<DeliveryResult> {
  const body = JSON.stringify(input.event);
  const timestamp = String(Math.floor(input.now.getTime() / 1000));
  const signals = input.signal === undefined ? [input.timeout] : [input.timeout, input.signal];
  try {
    const response = await fetch(input.url, {
      method: 'POST',
      body,
      // A redirect is not an acknowledgement: the receiver is told to fix its URL by the retries and the log.
      redirect: 'manual',
      signal: AbortSignal.any(signals),
      headers: {
        'content-type': 'application/json',
        'user-agent': input.userAgent,
        [EVENT_ID_HEADER]: input.event.event_id,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: webhookSignature({ secret: input.secret, timestamp, body }),
      },
    });
    // The answer's body is not read: drop it, so the connection is free again.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { outcome: 'delivered', detail: `HTTP ${response.status}` };
    return { outcome: 'http_error', detail: `HTTP ${response.status}` };
  } catch (error) {
    if (input.timeout.aborted) return { outcome: 'timeout', detail: 'no answer before the timeout' };
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { outcome: 'network_error', detail: `${error instanceof Error ? error.message : String(error)}${cause}` };
  }
}
