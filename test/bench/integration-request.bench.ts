/**
 * The manager's integration request, the largest request of a run: its size at 48
 * and 200 tasks (summaries of about 300 tokens each, as real models write them)
 * without the cap (every summary word for word) and with it.
 */
import { pathToFileURL } from 'node:url';
import { composeIntegrateMessage, INTEGRATION_TOKEN_CAP } from '../../src/prompts/index.js';
import { countTokens } from '../../src/providers/index.js';
import { sampleTaskLines } from '../support/task-lines.js';

const FEATURE = 'Add user authentication with email and password';

/** Runs the benchmark and returns its figures. */
export async function benchIntegrationRequest(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  console.log(`Integration request tokens (cap ${INTEGRATION_TOKEN_CAP}):`);
  for (const count of [48, 200]) {
    const tasks = sampleTaskLines(count);
    const before = countTokens(composeIntegrateMessage({ feature: FEATURE, tasks, capTokens: Number.POSITIVE_INFINITY }));
    const after = countTokens(composeIntegrateMessage({ feature: FEATURE, tasks }));
    figures[`integration_request_tokens_uncapped_${count}`] = before;
    figures[`integration_request_tokens_${count}`] = after;
    console.log(`  ${count} tasks: ${before} tokens without the cap, ${after} with it`);
  }
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchIntegrationRequest();
}
