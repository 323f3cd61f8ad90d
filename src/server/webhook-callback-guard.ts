/**
 * Checks a task's `metadata.callback_url` before the task is taken: refused on a server that cannot sign
 * deliveries (no webhook secret: it would never be called), and refused when it names a host this server
 * does not call back (see callback-hosts.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { type CallbackHosts, callbackHostProblem } from './callback-hosts.js';
import { ServiceError } from './service-error.js';
import { WEBHOOK_SECRET_ENV } from './webhook-settings.js';

/** Middleware for POST /orchestrate; a body that is not JSON, or a callback_url that is not a URL, is left for the route's own validation. */
export function callbackGuard(input: { webhooksEnabled: boolean; hosts: CallbackHosts }): MiddlewareHandler {
  return async (context, next) => {
    if (context.req.method !== 'POST') return next();
    let body: unknown;
    try {
      // Hono keeps the parsed body: the route's validator reads the same one.
      body = await context.req.json();
    } catch {
      return next();
    }
    const metadata = (body as { metadata?: unknown } | null)?.metadata;
    if (metadata === null || typeof metadata !== 'object' || !('callback_url' in metadata)) return next();
    if (!input.webhooksEnabled) {
      throw new ServiceError({
        status: 400,
        code: 'invalid_request',
        message: `This server has no webhook secret, so it sends no webhooks: start it with ${WEBHOOK_SECRET_ENV} set, or leave metadata.callback_url out.`,
        fields: [{ field: 'metadata.callback_url', issue: `webhooks are off on this server (${WEBHOOK_SECRET_ENV} is not set)` }],
      });
    }
    const url = (metadata as { callback_url?: unknown }).callback_url;
    const problem = typeof url === 'string' && URL.canParse(url) ? callbackHostProblem(url, input.hosts) : null;
    if (problem !== null) {
      throw new ServiceError({
        status: 400,
        code: 'invalid_request',
        message: `metadata.callback_url is refused: ${problem}.`,
        fields: [{ field: 'metadata.callback_url', issue: problem }],
      });
    }
    return next();
  };
}
