/** The service's HTTP application: security middleware first, then the routes, the OpenAPI document and the error answers. */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import type { Env } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { TeamConfig } from '../config/index.js';
import { getLogger, redact, type ServiceMetrics, withCorrelation } from '../observability/index.js';
import { addAgentRoutes } from './agent-routes.js';
import { bearerAuth } from './bearer-auth.js';
import { dashboardSignIn, sessionMatches } from './dashboard-auth.js';
import { addDashboardRoutes, dashboardHeaders } from './dashboard-routes.js';
import { serviceSource } from './dashboard-source.js';
import { experimentSource, projectExperimentsDir } from './dashboard-experiment-source.js';
import { addHealthRoutes } from './health-routes.js';
import { addMetricsRoute, observeLatency } from './metrics-routes.js';
import { ServiceError } from './service-error.js';
import { addTaskRoutes } from './task-routes.js';
import type { TaskRuns } from './task-runs.js';
import { ServiceTotalsReader } from './service-totals.js';
import type { CallbackHosts } from './callback-hosts.js';
import { callbackGuard } from './webhook-callback-guard.js';
import { addWebhookDoc } from './webhook-doc.js';
import { addDashboardDoc } from './dashboard-doc.js';

const log = getLogger('server');

/** The largest request body accepted by default: a feature description with its context fits many times over. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/** What the application serves with. */
export interface AppOptions {
  readonly config: TeamConfig;
  readonly dataDir: string;
  readonly runs: TaskRuns;
  /** The bearer token every route but the health checks requires; undefined: none (loopback only). */
  readonly token: string | undefined;
  readonly maxBodyBytes?: number | undefined;
  readonly version: string;
  /** The metrics this application observes and serves on /metrics (a registry of this server's own). */
  readonly metrics: ServiceMetrics;
  /** True when the server signs and sends webhooks; otherwise a task's `metadata.callback_url` is refused. */
  readonly webhooks?: boolean | undefined;
  /** The hosts a task's `metadata.callback_url` may name (default: any host that is not local). */
  readonly callbackHosts?: CallbackHosts | undefined;
  /** Folders the dashboard looks for experiments in, besides the project's `experiments/`. */
  readonly experimentDirs?: readonly string[] | undefined;
}

/** Copies `value` with secrets redacted: API keys, bearer tokens and the server's own token. */
export function scrubber(token: string | undefined): <T>(value: T) => T {
  const hide = (text: string): string => (token === undefined || token.length < 4 ? text : text.split(token).join('[redacted]'));
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return hide(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item)]));
    return value;
  };
  return <T>(value: T): T => walk(redact(value)) as T;
}

/** 400 with `error.fields[]`: each field's dot path and what is wrong with it. */
const validationHook: Hook<unknown, Env, string, unknown> = (result, context) => {
  if (result.success) return;
  const fields = result.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // An unknown field is named itself, so a typo points at the key to fix.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: [...path, key].join('.'), issue: 'unknown field' }));
    return [{ field: path.length === 0 ? `(${result.target})` : path.join('.'), issue: issue.message }];
  });
  const error = new ServiceError({
    status: 400,
    code: 'invalid_request',
    message: `The request ${result.target} is invalid: ${fields.map((field) => `${field.field}: ${field.issue}`).join('; ')}`,
    fields,
  });
  return context.json(error.body(), 400);
};

/** Builds the application. */
export function createApp(options: AppOptions): OpenAPIHono {
  const { config, dataDir, runs, token, metrics } = options;
  const scrub = scrubber(token);
  const maxSize = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = new OpenAPIHono<Env>({ defaultHook: validationHook });
  // A request about a task (its path names it) logs with its task_id, and so does what it starts.
  app.use((context, next) =>
    withCorrelation({ taskId: taskIdInPath(context.req.path) }, async () => {
      const started = performance.now();
      await next();
      // Method, path and status only: never a header (the token) nor a body.
      log.info('request', {
        method: context.req.method,
        path: context.req.path,
        status: context.res.status,
        ms: Math.round(performance.now() - started),
      });
    }),
  );
  app.use(observeLatency(metrics));
  app.use(dashboardHeaders());
  app.use(dashboardSignIn(token));
  app.use(bearerAuth(token, (context) => token !== undefined && sessionMatches(context, token)));
  app.use(
    bodyLimit({
      maxSize,
      onError: (context) =>
        context.json(
          new ServiceError({ status: 413, code: 'payload_too_large', message: `The request body is over ${maxSize} bytes.` }).body(),
          413,
        ),
    }),
  );
  app.use('/orchestrate', callbackGuard({ webhooksEnabled: options.webhooks === true, hosts: options.callbackHosts ?? { patterns: [] } }));
  addHealthRoutes({ app, config, dataDir });
  addTaskRoutes({ app, runs, scrub });
  addAgentRoutes({ app, config, runs });
  addDashboardRoutes({
    app,
    source: serviceSource({ runs, dataDir }),
    experiments: experimentSource([projectExperimentsDir(config.projectDir), ...(options.experimentDirs ?? [])]),
    scrub,
    readOnly: false,
  });
  addMetricsRoute({ app, metrics, totals: new ServiceTotalsReader({ runs, dataDir }) });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'agent-team orchestrator', version: options.version, description: 'Plan, run and watch teams of LLM agents over HTTP.' },
    security: [{ bearer: [] }],
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  addWebhookDoc(app);
  addDashboardDoc(app);
  app.notFound((context) =>
    context.json(
      new ServiceError({ status: 404, code: 'not_found', message: `No route ${context.req.method} ${context.req.path}.` }).body(),
      404,
    ),
  );
  app.onError((error, context) => {
    if (error instanceof ServiceError) return context.json(scrub(error.body()), error.status);
    if (error instanceof HTTPException && error.status === 400) {
      // The body is not JSON (the validator's own error): said as a field issue like any other.
      const invalid = new ServiceError({
        status: 400,
        code: 'invalid_request',
        message: `The request body cannot be read: ${error.message}`,
        fields: [{ field: '(body)', issue: error.message }],
      });
      return context.json(invalid.body(), 400);
    }
    if (error instanceof HTTPException) return error.getResponse();
    log.error('request failed', {
      method: context.req.method,
      path: context.req.path,
      error: scrub(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
    });
    return context.json(
      new ServiceError({ status: 500, code: 'internal', message: 'The server failed on this request; its log says why.' }).body(),
      500,
    );
  });
  return app;
}

/** The task_id of /tasks/{task_id}… and /execute/{task_id}, undefined for other paths. */
function taskIdInPath(path: string): string | undefined {
  const found = /^\/(?:tasks|execute)\/([^/]+)/.exec(path)?.[1];
  if (found === undefined) return undefined;
  try {
    return decodeURIComponent(found);
  } catch {
    return undefined;
  }
}
