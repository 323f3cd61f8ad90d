/**
 * The corpus of malformed model answers in test/fixtures/malformed-answers: one YAML
 * file per case, stating the purpose (which schema), the answer, the expected outcome,
 * and for a repair the repair answer. To add a case, add a file; a malformed case file
 * fails loading with its name and field.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  gateAnswerSchema,
  integrationSchema,
  planSchema,
  resolutionSchema,
  workReportSchema,
} from '../../src/team/tasks/answer-schemas.js';
import { planProblems } from '../../src/team/tasks/plan-graph.js';

export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/malformed-answers', import.meta.url));

const caseSchema = z
  .object({
    purpose: z.enum(['plan', 'resolve', 'integrate', 'work', 'gate']),
    outcome: z.enum(['recovered', 'repaired', 'failed']),
    answer: z.string(),
    repair: z.string().optional(),
    /** For `recovered`: what the lenient reading logs it did, in order. */
    recovered: z.array(z.string()).optional(),
    /** Text each problem list must contain: the repair request's (repaired, failed). */
    problems: z.array(z.string()).optional(),
    /** For `failed`: text the error's message must contain. */
    error: z.array(z.string()).optional(),
    /** Part of the value the call must return (recovered, repaired). */
    value: z.unknown().optional(),
  })
  .strict()
  .superRefine((entry, context) => {
    const needs = (field: keyof typeof entry, when: boolean): void => {
      if (when !== (entry[field] !== undefined))
        context.addIssue({ code: 'custom', path: [field], message: `${when ? 'required' : 'not allowed'} for outcome ${entry.outcome}` });
    };
    needs('repair', entry.outcome !== 'recovered');
    needs('problems', entry.outcome !== 'recovered');
    needs('recovered', entry.outcome === 'recovered');
    needs('error', entry.outcome === 'failed');
    needs('value', entry.outcome !== 'failed');
  });

/** One case of the corpus. */
export type CorpusCase = z.infer<typeof caseSchema> & { name: string };

/** Every case, sorted by file name. */
export function loadCorpus(): CorpusCase[] {
  return readdirSync(CORPUS_DIR)
    .filter((file) => file.endsWith('.yml'))
    .sort()
    .map((file) => {
      const parsed = caseSchema.safeParse(parse(readFileSync(join(CORPUS_DIR, file), 'utf8')));
      if (!parsed.success) {
        const where = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
        throw new Error(`${join(CORPUS_DIR, file)}: ${where}. Fix the case file (see test/providers/lenient-corpus.ts).`);
      }
      return { ...parsed.data, name: file.replace(/\.yml$/, '') };
    });
}

/** The roster the plan check knows. */
export const WORKER_ROLES = ['backend_developer', 'frontend_developer', 'qa_tester'];

/** The schema, the check and the name of the answer the manager or an agent asks for, per purpose. */
export function askedFor(purpose: CorpusCase['purpose']): {
  schema: z.ZodType;
  check?: (value: never) => string[];
  what: string;
  callPurpose: 'plan' | 'resolve' | 'integrate' | 'work' | 'gate';
} {
  switch (purpose) {
    case 'plan':
      return {
        schema: planSchema,
        check: (plan: z.infer<typeof planSchema>) => planProblems(plan, { workerRoles: WORKER_ROLES, managerRole: 'team_manager' }),
        what: 'plan',
        callPurpose: 'plan',
      };
    case 'resolve':
      return { schema: resolutionSchema, what: 'blocker resolution', callPurpose: 'resolve' };
    case 'integrate':
      return { schema: integrationSchema, what: 'integration summary', callPurpose: 'integrate' };
    case 'work':
      return { schema: workReportSchema, what: 'task report', callPurpose: 'work' };
    case 'gate':
      return { schema: gateAnswerSchema, what: 'review gate verdict', callPurpose: 'gate' };
  }
}
