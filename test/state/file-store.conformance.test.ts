import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DEFAULT_LOCK_STALE_MS } from '../../src/files/index.js';
import { FileStore, type LedgerEvent, readLedger, type TeamState, teamStateSchema } from '../../src/state/index.js';
import { type FileStoreLocation, openStore } from './conformance/file-store-opener.js';
import { describeStateStore } from './store-conformance.js';

// The product's default: a holder must commit within half of it, which a loaded 2-core machine needs; a killed
// holder's lock is taken over after it.
const LOCK_STALE_MS = DEFAULT_LOCK_STALE_MS;

describeStateStore('FileStore', {
  opener: 'file',
  async create({ initial }) {
    const directory = await mkdtemp(join(tmpdir(), 'agent-team-conformance-file-'));
    const location: FileStoreLocation = {
      file: join(directory, 'state', 'team-communication.json'),
      ledgerFile: join(directory, 'run', 'run_ledger.jsonl'),
      lockStaleMs: LOCK_STALE_MS,
    };
    if (initial !== undefined) {
      const creating = new FileStore<TeamState, LedgerEvent>({
        ...location,
        schema: teamStateSchema,
        initial: () => structuredClone(initial),
      });
      await creating.update(() => undefined);
      await creating.close();
    }
    const { file, ledgerFile } = location;
    const textOf = async (path: string): Promise<string> => (existsSync(path) ? readFile(path, 'utf8') : '(missing)');
    return {
      location,
      where: file,
      open: () => openStore(location),
      ledger: () => readLedger<LedgerEvent>(ledgerFile),
      raw: async () => `${await textOf(file)}\n--- ledger\n${await textOf(ledgerFile)}`,
      async corrupt(kind) {
        const text = await readFile(file, 'utf8');
        if (kind === 'syntax') {
          await writeFile(file, text.slice(0, Math.floor(text.length / 2)));
          return [file, 'invalid JSON'];
        }
        const state = JSON.parse(text) as { tasks: { status: string }[] };
        (state.tasks[0] as { status: string }).status = 'lost';
        await writeFile(file, JSON.stringify(state, null, 2));
        return [file, 'tasks.0.status'];
      },
      async assertReleased() {
        // SIGKILL runs no exit handler: a killed holder's lock directory stays until a live process takes it over.
        expect(existsSync(`${file}.lock`)).toBe(false);
        expect(existsSync(`${file}.lock.takeover`)).toBe(false);
      },
      dispose: () => rm(directory, { recursive: true, force: true }),
    };
  },
});
