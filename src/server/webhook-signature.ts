/** The signature of a webhook delivery: HMAC-SHA256 over "<timestamp>.<body>", so a receiver can check who sent it and when. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'X-Agent-Team-Signature';
/** The header carrying the Unix time (seconds) the signature was made at. */
export const TIMESTAMP_HEADER = 'X-Agent-Team-Timestamp';
/** The header carrying the event's id (the body's `event_id`). */
export const EVENT_ID_HEADER = 'X-Agent-Team-Event-Id';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` keyed with `secret`. */
export function webhookSignature(input: { secret: string; timestamp: string; body: string }): string {
  return `sha256=${createHmac('sha256', input.secret).update(`${input.timestamp}.${input.body}`).digest('hex')}`;
}

/** True when `signature` is the one `secret` makes for this timestamp and body (compared in constant time). */
export function verifyWebhookSignature(input: { secret: string; timestamp: string; body: string; signature: string }): boolean {
  const expected = Buffer.from(webhookSignature(input));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
