import type { TeamConfig } from '../../config/index.js';
import { StateMissingError } from '../../errors/index.js';
import { contextWindowTable, priceTable } from '../../cost/index.js';
import type { LlmProvider } from '../../providers/index.js';
import { createProviderRegistry, type ProviderRegistry } from '../agents/provider-registry.js';
import {
  FileStore,
  type LedgerEvent,
  PostgresStore,
  redactPostgresUrl,
  type RunOptions,
  type TeamState,
  teamStateSchema,
} from '../../state/index.js';
import type { TeamContext, TeamStore } from '../agents/team-context.js';
import { WakeSignal } from '../agents/wake-signal.js';

// A look at the state (status, ledger, export) gives up on an unreachable database after a few quick tries;
// a run keeps the store's default, which rides out a server restart.
const LOOK_RETRY = { attempts: 3 };

/**
 * The store of a team's state as the team config names it (the file store, or a run in PostgreSQL); `initial`
 * creates a missing state. `look`: only to read now, so an unreachable database fails fast.
 */
export function openTeamStore(
  config: TeamConfig,
  initial?: () => TeamState,
  options: { look?: boolean; now?: (() => Date) | undefined } = {},
): TeamStore {
  const clock = options.now === undefined ? {} : { now: options.now };
  const pollIntervalMs = config.orchestrator.coordination.check_interval_seconds * 1000;
  if (config.store.kind === 'postgres') {
    return new PostgresStore({
      ...(initial === undefined ? {} : { initial }),
      ...(options.look === true ? { retry: LOOK_RETRY } : {}),
      url: config.store.url,
      run: config.store.key,
      pollIntervalMs,
      ...clock,
    });
  }
  return new FileStore<TeamState, LedgerEvent>({
    ...(initial === undefined ? {} : { initial }),
    file: config.stateFile,
    schema: teamStateSchema,
    ledgerFile: config.ledgerFile,
    lockStaleMs: config.orchestrator.coordination.lock_stale_ms,
    pollIntervalMs,
    ...clock,
  });
}

/**
 * Opens the team's store for `use` and closes it after (a database store holds connections until closed).
 * A look (the default) fails fast on an unreachable database; `{ look: false }` rides out a restart, for long-lived commands.
 */
export async function withTeamStore<T>(
  config: TeamConfig,
  use: (store: TeamStore) => Promise<T>,
  options: { look?: boolean; now?: (() => Date) | undefined } = { look: true },
): Promise<T> {
  const store = openTeamStore(config, undefined, options);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Where the team's state is, as messages name it: the state file, or the run in PostgreSQL (never with a password). */
export function describeTeamStore(config: TeamConfig): string {
  return config.store.kind === 'file'
    ? config.stateFile
    : `team "${config.store.key}" in PostgreSQL ${redactPostgresUrl(config.store.url)}`;
}

/** The error for a team whose state does not exist yet, worded for where the config keeps it. */
export function missingTeamState(config: TeamConfig): StateMissingError {
  return new StateMissingError({ file: describeTeamStore(config), location: config.store.kind === 'file' ? 'file' : 'database' });
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
  clock?: (() => Date) | undefined;
}): TeamContext {
  return {
    config: input.config,
    store: input.store,
    providers: input.providers ?? createProviderRegistry({ config: input.config, options: input.options, override: input.provider }),
    prices: priceTable(input.config.orchestrator.prices),
    contextWindows: contextWindowTable(input.config.orchestrator.prices),
    wake: new WakeSignal(input.store),
    runDir: input.options.runDir,
    clock: input.clock,
  };
}
