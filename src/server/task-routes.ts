/** The seed's task API: POST /orchestrate, POST /execute/{task_id}, GET /tasks/{task_id}, its events and its cancel. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { annotateCorrelation } from '../observability/index.js';
import {
  approvalDecisionRequestSchema,
  approvalDecisionResponseSchema,
  approvalParamsSchema,
  blockerParamsSchema,
  errorResponseSchema,
  executeRequestSchema,
  resolveBlockerRequestSchema,
  resolveBlockerResponseSchema,
  orchestrateRequestSchema,
  orchestrateResponseSchema,
  statusResponseSchema,
  taskIdParamsSchema,
  taskResponseSchema,
} from './api-schemas.js';
import { approvalView } from './approval-view.js';
import { resumeAfter, streamTaskEvents } from './event-stream.js';
import type { TaskRuns } from './task-runs.js';
import { taskStatus } from './task-status.js';
import { subtasksOf, taskView } from './task-view.js';

const json = <T>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errors = {
  400: json(errorResponseSchema, 'The request is invalid: `error.fields[]` says which field and what is wrong.'),
  401: json(errorResponseSchema, 'The bearer token is missing or wrong.'),
};
const notFound = { 404: json(errorResponseSchema, 'No task with this task_id.') };
const conflict = (description: string) => ({ 409: json(errorResponseSchema, description) });

const orchestrateRoute = createRoute({
  method: 'post',
  path: '/orchestrate',
  summary: 'Submit a feature: the manager plans it into subtasks. Idempotent by task_id.',
  request: { body: { content: { 'application/json': { schema: orchestrateRequestSchema } }, required: true } },
  responses: {
    200: json(orchestrateResponseSchema, 'The plan (also for the same request again).'),
    ...errors,
    ...conflict('The task_id was submitted before with other values; `error.fields[]` names them.'),
    503: json(errorResponseSchema, "No agent can plan it: the planner's provider cannot be called (e.g. its API key is not set)."),
  },
});

const executeRoute = createRoute({
  method: 'post',
  path: '/execute/{task_id}',
  summary: 'Start or resume the planned run of a task in the server.',
  request: { params: taskIdParamsSchema, body: { content: { 'application/json': { schema: executeRequestSchema } }, required: false } },
  responses: {
    202: json(statusResponseSchema, 'The run executes (already did, if it was running).'),
    ...errors,
    ...notFound,
    ...conflict('The task ended or was cancelled.'),
    503: json(
      errorResponseSchema,
      'No agent can take some subtasks (no roster agent of their role, or none whose provider can be called): they are now ' +
        'blocked (`hold.reason` no_agent), an alert is logged, `error.subtasks[]` names them with their role; the run does not start.',
    ),
  },
});

const resolveRoute = createRoute({
  method: 'post',
  path: '/tasks/{task_id}/blockers/{blocker_id}/resolve',
  summary:
    "A person resolves an agent's blocker: the blocked subtask goes on with the person's answer, exactly as with the manager's " +
    '(the ledger\'s blocker-resolve says resolver "person" and `by`). Whatever the manager was doing with it is superseded.',
  request: {
    params: blockerParamsSchema,
    body: { content: { 'application/json': { schema: resolveBlockerRequestSchema } }, required: true },
  },
  responses: {
    200: json(resolveBlockerResponseSchema, 'Resolved.'),
    ...errors,
    404: json(errorResponseSchema, 'No task with this task_id, or no blocker with this blocker_id in it.'),
    ...conflict('The blocker is resolved already, or the task ended or was cancelled.'),
  },
});

const approvalRoute = createRoute({
  method: 'post',
  path: '/tasks/{task_id}/approvals/{approval_id}',
  summary:
    'A person decides a pending approval. checkpoint: approve lets the run on; reject fails the subtask it guards (after_plan, ' +
    "before_integration: the run). resolution: approve applies the manager's resolution; reject with `resolution` applies the " +
    "person's answer instead; reject without it leaves the blocker for a person (awaiting_person). review: approve retries the subtask, reject fails it.",
  request: {
    params: approvalParamsSchema,
    body: { content: { 'application/json': { schema: approvalDecisionRequestSchema } }, required: true },
  },
  responses: {
    200: json(approvalDecisionResponseSchema, 'Decided.'),
    ...errors,
    404: json(errorResponseSchema, 'No task with this task_id, or no approval with this approval_id in it.'),
    ...conflict('The approval was decided already, or the task ended or was cancelled.'),
  },
});

const taskRoute = createRoute({
  method: 'get',
  path: '/tasks/{task_id}',
  summary: 'The task now: status, subtasks and their outputs, metrics, status history, dependencies and artifacts.',
  request: { params: taskIdParamsSchema },
  responses: { 200: json(taskResponseSchema, 'The task.'), ...errors, ...notFound },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/tasks/{task_id}/cancel',
  summary: 'Stop the task for good: its run is aborted, in-flight model calls too. Answers once it stopped.',
  request: { params: taskIdParamsSchema },
  responses: { 200: json(statusResponseSchema, 'Cancelled.'), ...errors, ...notFound, ...conflict('The task already ended.') },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/tasks/{task_id}/events',
  summary:
    "The task's ledger as server-sent events. An event's id is `<seq>.<index>`: the ledger sequence number of the update that wrote it " +
    "and its place among that update's entries; send the last one back as Last-Event-ID (or ?after=) to resume with nothing missed.",
  request: { params: taskIdParamsSchema },
  responses: {
    200: { content: { 'text/event-stream': { schema: { type: 'string' } } }, description: 'One event per ledger entry.' },
    ...errors,
    ...notFound,
  },
});

/** Declares the task routes on `app`. */
export function addTaskRoutes(input: { app: OpenAPIHono; runs: TaskRuns; scrub: <T>(value: T) => T }): void {
  const { app, runs, scrub } = input;
  app.openapi(orchestrateRoute, async (context) => {
    const request = context.req.valid('json');
    annotateCorrelation({ taskId: request.task_id });
    const snapshot = await runs.orchestrate(request);
    const body = { task_id: request.task_id, status: taskStatus(snapshot), subtasks: subtasksOf({ ...snapshot, taskId: request.task_id }) };
    return context.json(scrub(body), 200);
  });
  app.openapi(executeRoute, async (context) => {
    const { task_id: taskId } = context.req.valid('param');
    const body = executeRequestSchema.parse(context.req.valid('json'));
    const snapshot = await runs.execute(taskId, { mode: body.execution_mode, checkpoints: body.checkpoints ?? [] });
    return context.json({ task_id: taskId, status: snapshot.active ? ('running' as const) : taskStatus(snapshot) }, 202);
  });
  app.openapi(taskRoute, async (context) => {
    const { task_id: taskId } = context.req.valid('param');
    const snapshot = await runs.snapshot(taskId);
    const ledger = await runs.ledgers.read(snapshot.config);
    return context.json(scrub(taskView({ snapshot, ledger, now: new Date() })), 200);
  });
  app.openapi(resolveRoute, async (context) => {
    const { task_id: taskId, blocker_id: blockerId } = context.req.valid('param');
    const body = context.req.valid('json');
    const { by } = await runs.resolveBlocker(taskId, blockerId, body);
    return context.json(
      scrub({ task_id: taskId, blocker_id: blockerId, resolution: body.resolution, resolved_by: by, resolver: 'person' as const }),
      200,
    );
  });
  app.openapi(approvalRoute, async (context) => {
    const { task_id: taskId, approval_id: approvalId } = context.req.valid('param');
    const { approval, state } = await runs.decide(taskId, approvalId, context.req.valid('json'));
    return context.json(scrub({ task_id: taskId, approval: approvalView(taskId, state, approval) }), 200);
  });
  app.openapi(cancelRoute, async (context) => {
    const { task_id: taskId } = context.req.valid('param');
    const snapshot = await runs.cancel(taskId);
    return context.json({ task_id: taskId, status: taskStatus(snapshot) }, 200);
  });
  app.openapi(eventsRoute, async (context) => {
    const { task_id: taskId } = context.req.valid('param');
    const after = resumeAfter(context);
    await runs.snapshot(taskId);
    return streamTaskEvents({ context, runs, taskId, after, scrub });
  });
}
