import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { ServiceError } from './service-error.js';

/** The environment variable holding the bearer token every request but the health checks must carry. */
export const API_TOKEN_ENV = 'AGENT_TEAM_API_TOKEN';

/** Paths anyone may call: load balancers and orchestrators probe them without credentials. */
export const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** True when `header` is `Bearer <token>`; compared in constant time (equal-length digests), so timing tells nothing of the token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  const given = match?.[1]?.trim() ?? '';
  return timingSafeEqual(digest(given), digest(token)) && given !== '';
}

/**
 * Refuses every request without the bearer token (401), except the open paths and those `session` accepts
 * (the dashboard's signed-in browser); with no token configured, lets all through.
 */
export function bearerAuth(token: string | undefined, session: (context: Context) => boolean = () => false): MiddlewareHandler {
  return async (context, next) => {
    if (token === undefined || OPEN_PATHS.has(context.req.path)) return next();
    if (!bearerMatches(context.req.header('authorization'), token) && !session(context)) {
      const error = new ServiceError({
        status: 401,
        code: 'unauthorized',
        message: `A bearer token is required: send "Authorization: Bearer <token>" with the value of ${API_TOKEN_ENV} the server was started with.`,
      });
      context.header('WWW-Authenticate', 'Bearer realm="agent-team"');
      return context.json(error.body(), 401);
    }
    return next();
  };
}
