import { describe, expect, it } from 'vitest';
import { composeIntegrateMessage, INTEGRATION_TOKEN_CAP } from '../../src/prompts/index.js';
import { countTokens } from '../../src/providers/index.js';
import { sampleTaskLines } from '../support/task-lines.js';

const FEATURE = 'Add user authentication with email and password';

describe('composeIntegrateMessage', () => {
  it('keeps a 200-task run under the cap, listing every task and the summaries of problems and chain ends first', () => {
    const tasks = sampleTaskLines(200);
    const uncapped = composeIntegrateMessage({ feature: FEATURE, tasks, capTokens: Number.POSITIVE_INFINITY });
    expect(countTokens(uncapped)).toBeGreaterThan(INTEGRATION_TOKEN_CAP * 4);

    const message = composeIntegrateMessage({ feature: FEATURE, tasks });
    expect(countTokens(message)).toBeLessThanOrEqual(INTEGRATION_TOKEN_CAP);
    for (const task of tasks) expect(message).toContain(`- ${task.id} [${task.status}] ${task.title} — files: ${task.files.join(', ')}\n`);
    // Every problem task is listed with its result and failure.
    const problems = tasks.filter((task) => task.focus === 'problem');
    for (const task of problems) {
      const at = message.indexOf(`- ${task.id} [`);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(message.slice(at).split('\n')[1]).toMatch(/^ {2}(Result|Failure): /);
      if (task.failure !== null) expect(message).toContain(`Failure: ${task.failure}`);
    }
    const results = message.split('\n').filter((line) => line.startsWith('  Result: ')).length;
    expect(results).toBeGreaterThan(problems.length);
    expect(results).toBeLessThan(200);
    expect(message).toContain(
      `(Results of ${200 - results} of 200 task(s) were left out to keep this request under ${INTEGRATION_TOKEN_CAP} tokens;`,
    );
    expect(message).toMatch(/Answer with the integration JSON object as the manager protocol says\.$/);
  });

  it('stays under a small cap by dropping the lines of the least important tasks, with a note', () => {
    const message = composeIntegrateMessage({ feature: FEATURE, tasks: sampleTaskLines(200), capTokens: 1500 });
    expect(countTokens(message)).toBeLessThanOrEqual(1500);
    expect(message).toMatch(/\((\d+) more task\(s\) are not listed; failed and blocked tasks were listed first\.\)/);
    expect(message).toContain('- T8 [failed]');
  });

  it('carries every summary word for word in a small run', () => {
    const tasks = sampleTaskLines(6);
    const message = composeIntegrateMessage({ feature: FEATURE, tasks });
    for (const task of tasks) {
      expect(message).toContain(`- ${task.id} [${task.status}] ${task.title} — files: ${task.files.join(', ')}\n  Result: ${task.summary}`);
    }
    expect(message).not.toContain('were left out');
    expect(countTokens(message)).toBeLessThanOrEqual(INTEGRATION_TOKEN_CAP);
  });
});
