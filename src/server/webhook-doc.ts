/** The webhooks in GET /openapi.json: OpenAPI 3.1's `webhooks` section, from the same zod schema the deliveries are built to. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { webhookEventSchema } from './webhook-event.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './webhook-signature.js';

/** Describes the delivery every receiver (`--webhook`, AGENT_TEAM_WEBHOOK_URLS, `metadata.callback_url`) gets. */
export function addWebhookDoc(app: OpenAPIHono): void {
  const header = (name: string, description: string) => ({
    name,
    in: 'header' as const,
    required: true,
    schema: { type: 'string' as const },
    description,
  });
  app.openAPIRegistry.registerWebhook({
    method: 'post',
    path: 'task-status-changed',
    summary: "A task's status or a subtask's state changed; sent to each receiver, at least once, retried with backoff until a 2xx.",
    request: {
      body: { content: { 'application/json': { schema: webhookEventSchema } }, required: true },
    },
    parameters: [
      header(EVENT_ID_HEADER, 'The event_id of the body: the same on every retry; deduplicate on it.'),
      header(TIMESTAMP_HEADER, 'Unix time in seconds when this attempt was signed; refuse old ones to stop replays.'),
      header(SIGNATURE_HEADER, 'sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with AGENT_TEAM_WEBHOOK_SECRET>.'),
    ],
    responses: {
      200: { description: 'Any 2xx acknowledges the event; any other answer, a timeout or no answer is retried.' },
    },
  });
}
