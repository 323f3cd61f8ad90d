/** Opens the file store of a conformance test, in the test process or in a worker process. */
import { FileStore, type LedgerEvent, type StateStore, type TeamState, teamStateSchema } from '../../../src/state/index.js';

/** Where a file store lives. */
export interface FileStoreLocation {
  file: string;
  ledgerFile: string;
  /** A killed holder's lock is taken over after this long. */
  lockStaleMs: number;
}

/** A handle on the team state in `location.file`, with no initial state: a missing file is an error. */
export function openStore(location: FileStoreLocation): StateStore<TeamState, LedgerEvent> {
  return new FileStore<TeamState, LedgerEvent>({
    file: location.file,
    ledgerFile: location.ledgerFile,
    schema: teamStateSchema,
    lockStaleMs: location.lockStaleMs,
  });
}
