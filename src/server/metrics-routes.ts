/** GET /metrics: the service's Prometheus metrics, behind the bearer token like every route but the health checks. */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { ServiceMetrics } from '../observability/index.js';
import { errorResponseSchema } from './api-schemas.js';
import type { ServiceTotalsReader } from './service-totals.js';

/** The route label of a request no route matched: its path would let any caller add series. */
export const UNMATCHED_ROUTE = '(unmatched)';

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics: tasks under way, failed subtasks, request latency, tokens and dollars by model and agent.',
  responses: {
    200: { content: { 'text/plain': { schema: z.string() } }, description: 'The Prometheus text exposition format, version 0.0.4.' },
    401: { content: { 'application/json': { schema: errorResponseSchema } }, description: 'The bearer token is missing or wrong.' },
  },
});

/** The route pattern that answered (`/tasks/:task_id`), not the path, so the latency series stay few. */
function routeOf(context: Parameters<MiddlewareHandler>[0]): string {
  // Middleware is registered for every method (ALL); the last route of a method is the one that answered.
  const route = matchedRoutes(context).findLast((matched) => matched.method !== 'ALL');
  return route?.path ?? UNMATCHED_ROUTE;
}

/** Observes the latency of every request, refused ones included, by route and status. */
export function observeLatency(metrics: ServiceMetrics): MiddlewareHandler {
  return async (context, next) => {
    const started = performance.now();
    await next();
    metrics.observeRequest({ route: routeOf(context), status: context.res.status, seconds: (performance.now() - started) / 1000 });
  };
}

/** Declares GET /metrics on `app`. */
export function addMetricsRoute(input: { app: OpenAPIHono; metrics: ServiceMetrics; totals: ServiceTotalsReader }): void {
  const { app, metrics, totals } = input;
  app.openapi(metricsRoute, async (context) => {
    const text = await metrics.render(await totals.read());
    return context.text(text, 200, { 'content-type': metrics.contentType });
  });
}
