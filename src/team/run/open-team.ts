import type { TeamConfig } from '../../config/index.js';
import { contextWindowTable, priceTable } from '../../cost/index.js';
import type { LlmProvider } from '../../providers/index.js';
import { createProviderRegistry, type ProviderRegistry } from '../agents/provider-registry.js';
import { FileStore, teamStateSchema, type LedgerEvent, type RunOptions, type TeamState } from '../../state/index.js';
import type { TeamContext, TeamStore } from '../agents/team-context.js';
import { WakeSignal } from '../agents/wake-signal.js';

/** The file store of a team's state, configured from the team config; `initial` creates a missing file. */
export function openTeamStore(config: TeamConfig, initial?: () => TeamState): TeamStore {
  return new FileStore<TeamState, LedgerEvent>({
    ...(initial === undefined ? {} : { initial }),
    file: config.stateFile,
    schema: teamStateSchema,
    ledgerFile: config.ledgerFile,
    lockStaleMs: config.orchestrator.coordination.lock_stale_ms,
    pollIntervalMs: config.orchestrator.coordination.check_interval_seconds * 1000,
  });
}

/** The state in `stateFile` (another project's run, found through its repository), or null when the file is gone. */
export async function readTeamStateAt(stateFile: string): Promise<TeamState | null> {
  const store = new FileStore<TeamState, LedgerEvent>({ file: stateFile, schema: teamStateSchema });
  return (await store.exists()) ? store.read() : null;
}

/** Everything one process needs to take part in a run: store, provider and wake-ups. */
export function openTeamContext(input: {
  config: TeamConfig;
  store: TeamStore;
  options: RunOptions;
  provider?: LlmProvider | undefined;
  providers?: ProviderRegistry | undefined;
}): TeamContext {
  return {
    config: input.config,
    store: input.store,
    providers: input.providers ?? createProviderRegistry({ config: input.config, options: input.options, override: input.provider }),
    prices: priceTable(input.config.orchestrator.prices),
    contextWindows: contextWindowTable(input.config.orchestrator.prices),
    wake: new WakeSignal(input.store),
    runDir: input.options.runDir,
  };
}
