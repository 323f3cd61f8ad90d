/** The zod schema of every ledger event, so that readers check what another process may have written before using it. */
import { z } from 'zod';
import type { LedgerEvent } from './ledger-events.js';

const text = z.string();
const count = z.number().int().nonnegative();
const usd = z.number().nonnegative();
// `reasoningTokens` (part of outputTokens) is absent from older ledgers and from calls without reasoning.
const usageSchema = z.looseObject({
  inputTokens: count,
  outputTokens: count,
  cacheReadTokens: count,
  cacheWriteTokens: count,
  reasoningTokens: count.optional(),
});

// Loose objects: a newer writer may add fields, and readers keep them (`ledger --json` prints the line as it was).
const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => z.looseObject({ type: z.literal(type), ...shape });

/** Every `<noun>-<action>` event of LedgerEvent, checked field by field. */
export const ledgerEventSchema = z.discriminatedUnion('type', [
  event('run-start', { runId: text, feature: text, provider: text, seed: z.number(), simulated: z.boolean() }),
  event('run-resume', { runId: text, resumes: count, released: z.array(text) }),
  event('run-end', { runId: text, status: text, reason: text }),
  event('run-takeover', { runId: text, previousOwner: text, reason: text, pid: z.number().int() }),
  event('report-reject', { agentId: text, taskId: text, fence: count, current: count, reason: text }),
  event('plan-create', { agentId: text, taskIds: z.array(text) }),
  event('task-create', { agentId: text, taskId: text, reason: text }),
  event('task-ready', { taskId: text }),
  event('task-claim', { agentId: text, taskId: text, attempt: count, model: text }),
  event('task-release', { agentId: text, taskId: text, reason: text }),
  event('task-wait', { agentId: text, taskId: text, blockingTaskId: text, files: z.array(text) }),
  event('task-end', { agentId: text, taskId: text, status: z.enum(['done', 'failed', 'cancelled']), detail: text }),
  event('blocker-raise', { agentId: text, taskId: text, blockerId: text, kind: z.enum(['question', 'loop']), question: text }),
  event('blocker-resolve', {
    agentId: text,
    taskId: text,
    blockerId: text,
    resolutionKind: z.enum(['answer', 'new_task', 'reassign', 'fail']),
    resolution: text,
    resolver: z.enum(['manager', 'person']).optional(),
    by: text.nullable().optional(),
  }),
  event('approval-request', {
    approvalId: text,
    kind: z.enum(['checkpoint', 'resolution', 'review']),
    agentId: text,
    checkpoint: text.nullable(),
    taskId: text.nullable(),
    blockerId: text.nullable(),
    question: text,
  }),
  event('approval-decide', { approvalId: text, decision: z.enum(['approve', 'reject', 'withdraw']), by: text, note: text.nullable() }),
  event('task-sla', { agentId: text, taskId: text, miss: count, slaSeconds: z.number().positive(), action: z.enum(['retry', 'review']) }),
  event('run-review', { runId: text, reason: text, taskIds: z.array(text) }),
  event('route-fail', { role: text, taskIds: z.array(text), reason: text }),
  event('model-call', {
    agentId: text,
    taskId: text.nullable(),
    purpose: text,
    provider: text,
    model: text,
    usage: usageSchema,
    costUsd: z.number(),
    latencyMs: z.number(),
    simulated: z.boolean(),
    repair: z.boolean(),
    maxTokens: count.optional(),
    raisedFromMaxTokens: count.optional(),
  }),
  event('task-commit', { agentId: text, taskId: text, branch: text, commit: text.nullable(), files: z.array(text) }),
  event('task-review', { agentId: text, taskId: text, gates: z.array(text) }),
  event('gate-verdict', { agentId: text, taskId: text, gate: text, passed: z.boolean(), reasons: z.array(text), round: count }),
  event('task-merge', { taskId: text, status: z.enum(['merged', 'reverted', 'conflict', 'ready']), detail: text }),
  event('task-wip', { agentId: text, taskId: text, branch: text, commit: text, reason: text }),
  event('agent-start', { agentId: text, pid: z.number().int(), host: text.optional() }),
  event('agent-stop', { agentId: text, reason: text }),
  event('agent-restart', { agentId: text, restart: count, reason: text }),
  event('budget-block', { agentId: text, limit: text, detail: text }),
  event('budget-overshoot', {
    agentId: text,
    taskId: text.nullable(),
    provider: text,
    model: text,
    basis: z.enum(['count', 'estimate']),
    heldTokens: count,
    reportedTokens: count,
    overTokens: count,
    heldUsd: usd,
    reportedUsd: usd,
    overUsd: usd,
  }),
]) satisfies z.ZodType<LedgerEvent>;

// Every event type has its schema: adding one to LedgerEvent without it fails to compile here.
type Unchecked = Exclude<LedgerEvent['type'], z.infer<typeof ledgerEventSchema>['type']>;
const everyTypeChecked: [Unchecked] extends [never] ? true : never = true;
void everyTypeChecked;
