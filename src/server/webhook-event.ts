/** What a webhook delivers: one change of a task's status or of a subtask's state, with an id that stays the same on every retry. */
import { createHash } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { subtaskStateSchema, taskIdSchema, taskStatusSchema } from './api-schemas.js';

/** A change of the task's overall status. */
export const taskStatusChangedSchema = z
  .object({
    event_id: z.string().describe('The same on every delivery of this change (retries, restarts): receivers deduplicate on it.'),
    type: z.literal('task.status_changed'),
    task_id: taskIdSchema,
    run_id: z.string().nullable().describe("The task's team run, once planning stored one."),
    status: taskStatusSchema,
    previous_status: taskStatusSchema.nullable().describe('null for the first status (planning).'),
    reason: z.string().nullable().describe('How the run ended (its end reason), or null.'),
    at: z.string().describe('When the change happened (ISO 8601), from the run ledger or the task record.'),
  })
  .openapi('WebhookTaskStatusChanged');

/** A change of one subtask's state. */
export const subtaskStateChangedSchema = z
  .object({
    event_id: z.string().describe('The same on every delivery of this change (retries, restarts): receivers deduplicate on it.'),
    type: z.literal('subtask.state_changed'),
    task_id: taskIdSchema,
    run_id: z.string().nullable(),
    at: z.string().describe('When the change happened (ISO 8601), from the run ledger.'),
    subtask: z.object({
      subtask_id: z.string(),
      role: z.string(),
      agent: z.string().nullable().describe('The agent whose action changed the state, when the ledger names one.'),
      state: subtaskStateSchema,
      previous_state: subtaskStateSchema,
    }),
  })
  .openapi('WebhookSubtaskStateChanged');

/** The body of every webhook delivery (POST, JSON). */
export const webhookEventSchema = z
  .discriminatedUnion('type', [taskStatusChangedSchema, subtaskStateChangedSchema])
  .openapi('WebhookEvent', {
    description:
      'POSTed to each webhook receiver. Headers: X-Agent-Team-Event-Id (= event_id), X-Agent-Team-Timestamp (Unix seconds of this attempt) ' +
      'and X-Agent-Team-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with AGENT_TEAM_WEBHOOK_SECRET>. ' +
      'Any 2xx acknowledges; anything else is retried with backoff. Delivery is at least once and not in order: use event_id and at.',
  });
/** One webhook event. */
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

/**
 * An event id derived from what the change is, never from when it was seen: a server that finds the same
 * change again (after a crash, or a second server on the same data) gives it the same id.
 */
export function webhookEventId(input: { taskId: string; receivedAt: string; key: readonly (string | number)[] }): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([input.taskId, input.receivedAt, ...input.key]))
    .digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}
