/** Opens the PostgreSQL store of a conformance test, in the test process or in a worker process. */
import { type LedgerEvent, PostgresStore, type StateStore, type TeamState } from '../../../src/state/index.js';

/** Where a PostgreSQL store lives: a database of its own and the run's key in it. */
export interface PostgresStoreLocation {
  url: string;
  run: string;
}

/** A handle on the run at `location`, with no initial state: a missing run is an error. */
export function openStore(location: PostgresStoreLocation): StateStore<TeamState, LedgerEvent> {
  return new PostgresStore({ url: location.url, run: location.run });
}
