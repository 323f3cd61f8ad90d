import type { TeamConfig } from '../../config/index.js';
import type { ModelPrice } from '../../cost/index.js';
import type { ProviderRegistry } from './provider-registry.js';
import type { LedgerEvent, StateStore, TeamState } from '../../state/index.js';
import type { WakeSignal } from './wake-signal.js';

/** The team state store as the team layer uses it. */
export type TeamStore = StateStore<TeamState, LedgerEvent>;

/** What every part of a running team shares in one process. */
export interface TeamContext {
  readonly config: TeamConfig;
  readonly store: TeamStore;
  /** The provider of each agent. */
  readonly providers: ProviderRegistry;
  /** Prices per model: the built-in table with config's overrides. */
  readonly prices: Readonly<Record<string, ModelPrice>>;
  /** Context windows per model: the built-in table with config's `context_window`s. */
  readonly contextWindows: Readonly<Record<string, number>>;
  /** Wakes waiting agents when the state changes. */
  readonly wake: WakeSignal;
  /** The run's directory under runs_dir (transcripts go to `agents/`). */
  readonly runDir: string;
  /** The clock the store stamps updates with (tests pass a fake one to both); undefined: the system clock. */
  readonly clock?: (() => Date) | undefined;
}
