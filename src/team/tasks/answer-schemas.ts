import { z } from 'zod';
import { complexitySchema } from '../../state/index.js';

/** One task as the manager plans it. */
export const plannedTaskSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'a short id of letters, digits, ".", "_" or "-"'),
  title: z.string().min(1),
  description: z.string().min(1),
  role: z.string().min(1),
  dependsOn: z.array(z.string()).default([]),
  files: z.array(z.string()).default([]),
  complexity: complexitySchema,
  acceptanceCriteria: z.array(z.string()).default([]),
});
export type PlannedTask = z.infer<typeof plannedTaskSchema>;

/** The manager's plan. */
export const planSchema = z.object({ tasks: z.array(plannedTaskSchema).min(1) });
export type Plan = z.infer<typeof planSchema>;

/** A role agent's report on its task. */
export const workReportSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('done'),
    summary: z.string().min(1),
    filesChanged: z.array(z.string()).default([]),
    notes: z.string().optional(),
  }),
  z.object({ status: z.literal('blocked'), question: z.string().min(1) }),
]);
export type WorkReport = z.infer<typeof workReportSchema>;

const newTaskSchema = plannedTaskSchema.omit({ id: true, dependsOn: true });

/** The manager's resolution of a blocker. */
export const resolutionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('answer'), answer: z.string().min(1) }),
  z.object({ kind: z.literal('new_task'), answer: z.string().min(1), task: newTaskSchema }),
  z.object({ kind: z.literal('reassign'), answer: z.string().min(1), role: z.string().min(1) }),
  z.object({ kind: z.literal('fail'), answer: z.string().min(1) }),
]);
export type Resolution = z.infer<typeof resolutionSchema>;

/** The manager's final integration summary. */
export const integrationSchema = z.object({
  summary: z.string().min(1),
  risks: z.array(z.string()).default([]),
  followUps: z.array(z.string()).default([]),
});
export type Integration = z.infer<typeof integrationSchema>;

/** A gate's verdict on a task's change. */
export const gateAnswerSchema = z.object({
  passed: z.boolean(),
  reasons: z.array(z.string()).default([]),
});
export type GateAnswer = z.infer<typeof gateAnswerSchema>;
