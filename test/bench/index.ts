/** `npm run bench`: every benchmark, figures printed (and written to bench-results.json with --json). */
import { writeFile } from 'node:fs/promises';
import { benchBudgetHold } from './budget-hold.bench.js';
import { benchExperiment } from './experiment.bench.js';
import { benchFileStore } from './file-store.bench.js';
import { benchIntegrationRequest } from './integration-request.bench.js';
import { benchLedgerReader } from './ledger-reader.bench.js';
import { benchLenientJson } from './lenient-json.bench.js';
import { benchPostgresStore } from './postgres-store.bench.js';
import { benchPromptCache } from './prompt-cache.bench.js';
import { benchServiceRequests } from './service-requests.bench.js';
import { benchStartUp } from './start-up.bench.js';
import { benchTeamRun } from './team-run.bench.js';
import { benchTokenizer } from './tokenizer.bench.js';
import { benchTransitionCost } from './transition-cost.bench.js';
import { benchWakeLatency } from './wake-latency.bench.js';
import { benchWorkerQueue } from './worker-queue.bench.js';
import { benchWorkspaceSpeedup } from './workspace-speedup.bench.js';

const figures: Record<string, number> = {};
for (const bench of [
  benchFileStore,
  benchWakeLatency,
  benchTeamRun,
  benchTransitionCost,
  benchPostgresStore,
  benchServiceRequests,
  benchLedgerReader,
  benchPromptCache,
  benchWorkerQueue,
  benchWorkspaceSpeedup,
  benchExperiment,
  benchTokenizer,
  benchIntegrationRequest,
  benchLenientJson,
  benchBudgetHold,
  benchStartUp,
]) {
  Object.assign(figures, await bench());
  console.log();
}
if (process.argv.includes('--json')) {
  await writeFile('bench-results.json', `${JSON.stringify(figures, null, 2)}\n`);
  console.log('Figures written to bench-results.json');
}
