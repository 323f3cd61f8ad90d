/** The zod schemas of the service's requests and answers: they validate requests and generate GET /openapi.json. */
import { z } from '@hono/zod-openapi';
import { webhookUrlProblem } from './webhook-settings.js';

/** A task id is also a directory name and a store key: letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** True for `YYYY-MM-DD` or an ISO 8601 date-time with a zone, that is a real date. */
function isDueDate(value: string): boolean {
  if (DATE_ONLY.test(value))
    return !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));
}

/** A task id as callers send it. */
export const taskIdSchema = z
  .string()
  .regex(TASK_ID_PATTERN, 'expected 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit')
  .openapi({ example: 'feature-1087', description: 'Chosen by the caller; the same id makes a request idempotent.' });

/** The `{task_id}` of a path. */
export const taskIdParamsSchema = z.object({ task_id: taskIdSchema.openapi({ param: { name: 'task_id', in: 'path' } }) });

/** How urgent a task is (recorded and told to the planner). */
export const prioritySchema = z.enum(['low', 'medium', 'high', 'critical']).openapi({ example: 'high' });

/** What a submission says about its feature besides title and description. */
export const orchestrateMetadataSchema = z
  .strictObject({
    context: z.string().max(20_000).optional().describe('Free-form context the planner reads with the description.'),
    repository: z.string().max(2_000).optional().describe('Repository the feature is for (recorded, told to the planner).'),
    requester: z.string().max(200).optional().describe('Who asked for the feature.'),
    due_date: z
      .string()
      .refine(isDueDate, 'expected a date (YYYY-MM-DD) or an ISO 8601 date-time with a zone, e.g. 2025-11-22T17:00:00Z')
      .optional()
      .describe('When the feature is due; a date alone means the end of that day, UTC.'),
    callback_url: z
      .string()
      .max(2_000)
      .refine((url) => webhookUrlProblem(url) === null, 'expected an absolute http:// or https:// URL without a user or password')
      .optional()
      .describe(
        "A webhook receiver of this task's status changes (see WebhookEvent), besides the server's own; needs AGENT_TEAM_WEBHOOK_SECRET.",
      ),
    sla_seconds: z
      .number()
      .positive()
      .max(7 * 24 * 3600)
      .optional()
      .describe(
        "Each subtask's SLA: an attempt in progress longer than this (on the server's clock, from its claim) is taken back and retried; " +
          'after 3 such attempts the subtask is held blocked and the task is flagged for human review (`human_review`, a `review` approval).',
      ),
  })
  .openapi('OrchestrateMetadata');

/** POST /orchestrate. */
export const orchestrateRequestSchema = z
  .strictObject({
    task_id: taskIdSchema,
    title: z.string().trim().min(1).max(500).openapi({ example: 'Implement invoice PDF export' }),
    description: z
      .string()
      .trim()
      .min(1)
      .max(50_000)
      .openapi({ example: 'Add PDF export to the billing dashboard, with regression tests.' }),
    priority: prioritySchema.default('medium'),
    metadata: orchestrateMetadataSchema.default({}),
  })
  .openapi('OrchestrateRequest');
/** A validated POST /orchestrate body, defaults applied. */
export type OrchestrateRequest = z.infer<typeof orchestrateRequestSchema>;

/** The service's statuses of a task, from submission to its end. */
export const taskStatusSchema = z
  .enum(['planning', 'planned', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled', 'interrupted', 'budget_exceeded'])
  .openapi('TaskStatus', {
    description:
      'awaiting_approval: the run executes here and something waits for a person: a pending approval (`approvals[]`), ' +
      'or a blocker only a person may resolve (`blockers[]` with status awaiting_person).',
  });
/** A task's status as the service answers it. */
export type ServiceTaskStatus = z.infer<typeof taskStatusSchema>;

/** A subtask's state in the seed's words. */
export const subtaskStateSchema = z.enum(['pending', 'ready', 'running', 'blocked', 'review', 'completed', 'failed', 'cancelled']);

/** One subtask of the plan: a task of the team run. */
export const subtaskSchema = z
  .object({
    subtask_id: z.string().openapi({ example: 'backend-dev::feature-1087::T1' }),
    agent: z.string().nullable().describe('The roster agent assigned, or the first one of its role before assignment.'),
    role: z.string(),
    title: z.string(),
    state: subtaskStateSchema,
    depends_on: z.array(z.string()).describe('subtask_ids this one waits for.'),
    outputs: z.record(z.string(), z.unknown()).describe('What the work left: summary, files changed, branch and commit with a workspace.'),
    hold: z
      .object({ reason: z.enum(['no_agent', 'sla']), detail: z.string(), since: z.string() })
      .nullable()
      .describe(
        'Why a blocked subtask with no blocker waits: no_agent (no roster agent can take its role: add one, then execute again) ' +
          'or sla (its attempts kept missing the SLA: a `review` approval decides).',
      ),
  })
  .openapi('Subtask');
/** One subtask as answered. */
export type Subtask = z.infer<typeof subtaskSchema>;

/** POST /orchestrate's answer. */
export const orchestrateResponseSchema = z
  .object({ task_id: taskIdSchema, status: taskStatusSchema, subtasks: z.array(subtaskSchema) })
  .openapi('OrchestrateResponse');

/** POST /execute/{task_id}. */
export const executeRequestSchema = z
  .strictObject({
    execution_mode: z
      .enum(['auto', 'manual'])
      .default('auto')
      .describe(
        'auto runs to the end. manual waits for a person (POST /tasks/{task_id}/approvals/{approval_id}) at each checkpoint and ' +
          "before applying each of the manager's blocker resolutions; meanwhile agents idle, no model is called and the status is awaiting_approval.",
      ),
    checkpoints: z
      .array(z.string().min(1).max(300))
      .max(100)
      .optional()
      .describe(
        'manual mode only: where the run waits for a person. `after_plan`: before any subtask starts; a subtask_id of the plan ' +
          '(or `before:<subtask_id>`): before that subtask starts; `before_integration`: once every subtask has finished, before the ' +
          "run's final integration. A checkpoint holds from the start of the run until its approval is approved; it is listed in " +
          '`approvals` (status pending) as the run reaches it.',
      ),
  })
  .openapi('ExecuteRequest');

/** `{blocker_id}` of a path. */
export const blockerParamsSchema = taskIdParamsSchema.extend({
  blocker_id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'blocker_id', in: 'path' }, example: 'T2-B1' }),
});

/** `{approval_id}` of a path. */
export const approvalParamsSchema = taskIdParamsSchema.extend({
  approval_id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'approval_id', in: 'path' }, example: 'A1' }),
});

const personSchema = z.string().trim().min(1).max(200).describe('Who decides, as recorded in the ledger (a name, an email).');

/** POST /tasks/{task_id}/blockers/{blocker_id}/resolve. */
export const resolveBlockerRequestSchema = z
  .strictObject({
    resolution: z
      .string()
      .trim()
      .min(1)
      .max(20_000)
      .describe("The answer to the agent's question: the blocked subtask goes on with it, as with the manager's answer."),
    by: personSchema.optional(),
  })
  .openapi('ResolveBlockerRequest');

/** POST /tasks/{task_id}/approvals/{approval_id}. */
export const approvalDecisionRequestSchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    resolution: z
      .string()
      .trim()
      .min(1)
      .max(20_000)
      .optional()
      .describe(
        "With reject. For the manager's resolution of a blocker: the person's own answer, applied instead; without it the blocker " +
          'is left for a person (status awaiting_person: POST .../blockers/{blocker_id}/resolve), not sent back to the manager. ' +
          'For a checkpoint or a review: the reason, recorded.',
      ),
    by: personSchema.optional(),
  })
  .openapi('ApprovalDecisionRequest');

/** A blocker not resolved yet, as a client answers it. */
export const blockerViewSchema = z
  .object({
    blocker_id: z.string(),
    subtask_id: z.string(),
    agent: z.string().describe('The agent that raised it.'),
    kind: z.enum(['question', 'loop']).describe('loop: the agent repeated its answer.'),
    question: z.string(),
    context: z.string().describe("The blocked subtask's title and description."),
    status: z
      .enum(['open', 'resolving', 'awaiting_approval', 'awaiting_person'])
      .describe(
        "open: for the manager; resolving: the manager is at it; awaiting_approval: the manager's resolution waits (see approval_id); " +
          'awaiting_person: only a person resolves it. A person may resolve it in any of these.',
      ),
    approval_id: z.string().nullable(),
    raised_at: z.string(),
  })
  .openapi('Blocker');

/** An approval: a decision asked of a person. */
export const approvalViewSchema = z
  .object({
    approval_id: z.string(),
    kind: z
      .enum(['checkpoint', 'resolution', 'review'])
      .describe(
        "checkpoint: a checkpoint of a manual run; resolution: the manager's resolution of a blocker (manual runs); " +
          'review: a subtask that missed its SLA 3 times (approve: retry it; reject: fail it).',
      ),
    checkpoint: z.string().nullable(),
    subtask_id: z.string().nullable(),
    blocker_id: z.string().nullable(),
    question: z.string(),
    proposal: z
      .object({ kind: z.enum(['answer', 'new_task', 'reassign', 'fail']), resolution: z.string(), role: z.string().nullable() })
      .nullable()
      .describe("The manager's resolution, for kind resolution."),
    status: z.enum(['pending', 'approved', 'rejected', 'withdrawn']).describe('withdrawn: a person resolved the blocker directly.'),
    requested_at: z.string(),
    decided_by: z.string().nullable(),
    decided_at: z.string().nullable(),
    note: z.string().nullable(),
  })
  .openapi('Approval');
/** One approval as answered. */
export type ApprovalView = z.infer<typeof approvalViewSchema>;
/** One blocker as answered. */
export type BlockerView = z.infer<typeof blockerViewSchema>;

/** POST /tasks/{task_id}/blockers/{blocker_id}/resolve's answer. */
export const resolveBlockerResponseSchema = z
  .object({
    task_id: taskIdSchema,
    blocker_id: z.string(),
    resolution: z.string(),
    resolved_by: z.string(),
    resolver: z.literal('person'),
  })
  .openapi('ResolveBlockerResponse');

/** POST /tasks/{task_id}/approvals/{approval_id}'s answer. */
export const approvalDecisionResponseSchema = z.object({ task_id: taskIdSchema, approval: approvalViewSchema }).openapi('ApprovalDecision');

/** POST /execute/{task_id} and POST /tasks/{task_id}/cancel answer with the task's status. */
export const statusResponseSchema = z.object({ task_id: taskIdSchema, status: taskStatusSchema }).openapi('StatusResponse');

const tokensSchema = z.object({
  input: z.number().int(),
  output: z.number().int(),
  cache_read: z.number().int(),
  cache_write: z.number().int(),
  total: z.number().int(),
});

/** GET /tasks/{task_id}. */
export const taskResponseSchema = z
  .object({
    task_id: taskIdSchema,
    title: z.string(),
    priority: prioritySchema,
    status: taskStatusSchema,
    run_id: z.string().nullable(),
    end_reason: z.string().nullable(),
    subtasks: z.array(subtaskSchema),
    dependencies: z.array(z.object({ subtask_id: z.string(), depends_on: z.array(z.string()) })),
    metrics: z.object({
      elapsed_seconds: z.number(),
      due_date: z.string().nullable(),
      on_time: z.boolean().nullable().describe('null without a due date.'),
      tokens: tokensSchema,
      cost_usd: z.number(),
      model_calls: z.number().int(),
    }),
    status_history: z.array(z.object({ status: taskStatusSchema, at: z.string(), reason: z.string().nullable() })),
    artifacts: z.object({ run_dir: z.string().nullable(), branches: z.array(z.string()) }),
    execution: z.object({
      mode: z.enum(['auto', 'manual']),
      checkpoints: z.array(z.string()),
      sla_seconds: z.number().nullable(),
    }),
    blockers: z
      .array(blockerViewSchema)
      .describe('Blockers not resolved yet, oldest first: answer one with POST .../blockers/{blocker_id}/resolve.'),
    approvals: z.array(approvalViewSchema).describe('Every approval asked, in order; the pending ones hold the run.'),
    human_review: z
      .object({ flagged: z.boolean(), reason: z.string().nullable(), subtask_ids: z.array(z.string()), at: z.string().nullable() })
      .describe('Flagged when subtasks kept missing their SLA; cleared once their review approvals are decided.'),
  })
  .openapi('Task');
/** GET /tasks/{task_id}'s answer. */
export type TaskResponse = z.infer<typeof taskResponseSchema>;

/** GET /agents query. */
export const agentsQuerySchema = z.object({
  domain: z.string().optional().openapi({ example: 'web' }),
  capability: z.string().optional().openapi({ example: 'backend-developer' }),
  health: z.enum(['healthy', 'unavailable']).optional(),
});

/** One agent of the roster as GET /agents lists it. */
export const agentSchema = z
  .object({
    name: z.string(),
    role: z.string(),
    domains: z.array(z.string()),
    skills: z.array(z.string()).describe('Capability tags: the role, its base prompt and its platforms.'),
    provider: z.string(),
    model: z.string(),
    health: z.enum(['healthy', 'unavailable']),
    health_reason: z.string().nullable(),
    max_concurrent_tasks: z.number().int(),
    load: z.number().int().describe('Subtasks in progress on this agent across the runs of this server.'),
  })
  .openapi('Agent');
/** One agent as answered. */
export type AgentEntry = z.infer<typeof agentSchema>;

/** GET /agents's answer. */
export const agentsResponseSchema = z.object({ agents: z.array(agentSchema) }).openapi('Agents');

/** Every error answer: a stable code, a message, and for invalid requests the fields at fault. */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.array(z.object({ field: z.string(), issue: z.string() })).optional(),
      subtasks: z
        .array(z.object({ subtask_id: z.string(), role: z.string(), reason: z.string() }))
        .optional()
        .describe('503 agent_unavailable: the subtasks no agent can take (now blocked), their role and why.'),
    }),
  })
  .openapi('Error');

/** /healthz and /readyz. */
export const healthResponseSchema = z.object({ status: z.enum(['ok', 'unavailable']), detail: z.string().optional() }).openapi('Health');
