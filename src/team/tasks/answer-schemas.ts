import { z } from 'zod';
import { type AnswerSchema, jsonSchemaOf } from '../../providers/index.js';
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

// A role field a grammar can enforce: one of the run's worker roles (any text when the roster has none).
function roleOf(roles: readonly string[]): z.ZodType<string> {
  const [first, ...rest] = roles;
  return first === undefined ? z.string().min(1) : z.enum([first, ...rest]);
}

/**
 * The plan as the model is asked for it: roles are an enum of the roster's worker roles,
 * so a grammar-constrained model cannot name another. Built once per run, so the answer
 * tools (the cached prefix) stay the same on every call; answers are still validated
 * with `planSchema` and the plan check, which name the problem in a repair request.
 */
export function planSchemaFor(roles: readonly string[]): z.ZodType {
  return z.object({ tasks: z.array(plannedTaskSchema.extend({ role: roleOf(roles) })).min(1) });
}

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

/** The resolution as the model is asked for it, roles an enum of the roster's worker roles (see `planSchemaFor`). */
export function resolutionSchemaFor(roles: readonly string[]): z.ZodType {
  const role = roleOf(roles);
  return z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('answer'), answer: z.string().min(1) }),
    z.object({ kind: z.literal('new_task'), answer: z.string().min(1), task: newTaskSchema.extend({ role }) }),
    z.object({ kind: z.literal('reassign'), answer: z.string().min(1), role }),
    z.object({ kind: z.literal('fail'), answer: z.string().min(1) }),
  ]);
}

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

/** Names of the answer tools, one per purpose. */
export const ANSWER_NAMES = {
  plan: 'plan',
  resolution: 'blocker_resolution',
  integration: 'integration_summary',
  workReport: 'task_report',
  gateVerdict: 'gate_verdict',
} as const;

/**
 * Every answer the manager may give, in a fixed order, sent with each of its calls so
 * the cached prefix stays the same; each call names the one it wants.
 */
export function managerAnswers(roles: readonly string[]): AnswerSchema[] {
  return [
    {
      name: ANSWER_NAMES.plan,
      description: 'Give your plan of the feature by calling this tool.',
      schema: jsonSchemaOf(planSchemaFor(roles)),
    },
    {
      name: ANSWER_NAMES.resolution,
      description: 'Give your resolution of the blocker by calling this tool.',
      schema: jsonSchemaOf(resolutionSchemaFor(roles)),
    },
    {
      name: ANSWER_NAMES.integration,
      description: 'Give your integration summary by calling this tool.',
      schema: jsonSchemaOf(integrationSchema),
    },
  ];
}

/** A role agent's one answer: its task report. */
export const WORK_ANSWERS: readonly AnswerSchema[] = [
  {
    name: ANSWER_NAMES.workReport,
    description: 'Report your task done (or blocked) by calling this tool; calling it ends your work on the task.',
    schema: jsonSchemaOf(workReportSchema),
  },
];

/** A gate's one answer: its verdict. */
export const GATE_ANSWERS: readonly AnswerSchema[] = [
  {
    name: ANSWER_NAMES.gateVerdict,
    description: 'Give your verdict on the change by calling this tool.',
    schema: jsonSchemaOf(gateAnswerSchema),
  },
];
