/**
 * Task lines of a finished run of any size, for the integration request: chains of
 * four tasks, every task with a summary of about 300 tokens (what real models
 * write), one task in ten a problem (failed or blocked).
 */
import type { TaskLine } from '../../src/prompts/index.js';

function summaryOf(index: number): string {
  const sentences = [
    `Implemented part ${index} of the feature in src/module-${index}/handler.ts and src/module-${index}/schema.ts.`,
    `The handler validates its input with a zod schema, returns 400 with a field list on bad input and 409 when the record exists.`,
    `Added unit tests in test/module-${index}/handler.test.ts covering the happy path, missing fields, duplicate records and a database timeout.`,
    `The migration 00${index}_create_table.sql adds the table with a unique index on the email column and a created_at default.`,
    `Open points: the rate limit is a fixed 10 requests per minute per address; a configurable limit is left for a follow-up task.`,
    `Checked: npm test passes, the linter is clean, and the endpoint answers within the documented time on the sample data set.`,
    `Notes for the next task: the session token is signed with the key from SESSION_SECRET and expires after 24 hours of inactivity.`,
    `Risks: the password hash cost factor is 12, which takes about 250 ms on the CI machines; lower it only for tests.`,
  ];
  return sentences.join(' ');
}

/** `count` task lines of a finished run, in plan order. */
export function sampleTaskLines(count: number): TaskLine[] {
  return Array.from({ length: count }, (_, index) => {
    const id = `T${index + 1}`;
    const problem = index % 10 === 7;
    return {
      id,
      title: `Build part ${index + 1} of the authentication feature`,
      status: problem && index % 20 === 7 ? 'failed' : 'done',
      files: [`src/module-${index + 1}/handler.ts`, `src/module-${index + 1}/schema.ts`, `test/module-${index + 1}/handler.test.ts`],
      summary: summaryOf(index + 1),
      failure: problem && index % 20 === 7 ? 'the reviewer gate failed it twice: missing input validation' : null,
      focus: problem ? 'problem' : index % 4 === 3 ? 'chain-end' : 'other',
    };
  });
}
