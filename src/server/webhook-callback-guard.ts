/** Refuses a task's `metadata.callback_url` on a server that cannot sign deliveries (no webhook secret): it would never be called. */
import type { MiddlewareHandler } from 'hono';
import { ServiceError } from './service-error.js';
import { WEBHOOK_SECRET_ENV } from './webhook-settings.js';

/** Middleware for POST /orchestrate; a body that is not JSON is left for the route's own validation. */
export function callbackGuard(webhooksEnabled: boolean): MiddlewareHandler {
  return async (context, next) => {
    if (webhooksEnabled || context.req.method !== 'POST') return next();
    let body: unknown;
    try {
      // Hono keeps the parsed body: the route's validator reads the same one.
      body = await context.req.json();
    } catch {
      return next();
    }
    const metadata = (body as { metadata?: unknown } | null)?.metadata;
    if (metadata !== null && typeof metadata === 'object' && 'callback_url' in metadata) {
      throw new ServiceError({
        status: 400,
        code: 'invalid_request',
        message: `This server has no webhook secret, so it sends no webhooks: start it with ${WEBHOOK_SECRET_ENV} set, or leave metadata.callback_url out.`,
        fields: [{ field: 'metadata.callback_url', issue: `webhooks are off on this server (${WEBHOOK_SECRET_ENV} is not set)` }],
      });
    }
    return next();
  };
}
