/**
 * Every fixture in test/fixtures/state/ read through the real FileStore: each valid v1 state
 * (one per run status) reads and round-trips unchanged; each broken one is refused with the
 * error its manifest names, and a message that names the file and the problem.
 */
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateCorruptedError } from '../../src/errors/index.js';
import { FileStore, type LedgerEvent, TEAM_STATE_VERSION, type TeamState, teamStateSchema } from '../../src/state/index.js';
import { runStatusSchema } from '../../src/state/team-state.js';
import { ROOT } from '../support/cli.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'state');

/** The error classes a broken state file may raise, by name. */
const ERROR_CLASSES = { StateCorruptedError } as const;

interface ExpectedError {
  error: keyof typeof ERROR_CLASSES;
  code: string;
  exitCode: number;
  problem: string;
}

const files = await readdir(FIXTURES);
const expected = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedError>;
const valid = files.filter((name) => name.startsWith(`v${TEAM_STATE_VERSION}-`)).sort();
const broken = files.filter((name) => name.startsWith('broken-')).sort();

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'agent-team-state-fixtures-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A store on a copy of the fixture, so an update never touches the fixture itself. */
async function storeOn(name: string): Promise<FileStore<TeamState, LedgerEvent>> {
  const file = join(directory, 'team-communication.json');
  await copyFile(join(FIXTURES, name), file);
  return new FileStore<TeamState, LedgerEvent>({ file, schema: teamStateSchema, ledgerFile: join(directory, 'run_ledger.jsonl') });
}

describe('the state fixtures', () => {
  it('hold one valid state per run status, and an expectation for every broken file', () => {
    expect(valid).toEqual(runStatusSchema.options.map((status) => `v${TEAM_STATE_VERSION}-${status}.json`).sort());
    expect(broken).toEqual(Object.keys(expected).sort());
  });
});

describe.each(valid)('valid %s', (name) => {
  it('reads as written, with its run status, and an update writes it back unchanged but for its seq', async () => {
    const text = await readFile(join(FIXTURES, name), 'utf8');
    const onDisk = JSON.parse(text) as TeamState;
    const store = await storeOn(name);
    const state = await store.read();
    expect(state).toEqual(onDisk);
    expect(`v${state.version}-${state.run.status}.json`).toBe(name);

    await store.update(() => undefined);
    const written = JSON.parse(await readFile(store.file, 'utf8')) as TeamState;
    expect(written).toEqual({ ...onDisk, seq: written.seq });
    expect(written.seq).toBeGreaterThanOrEqual(onDisk.seq);
    expect(await store.read()).toEqual(written);
  });
});

describe.each(broken)('broken %s', (name) => {
  it('is refused with the expected error, naming the file and the problem, and left as it was', async () => {
    const want = expected[name] as ExpectedError;
    const store = await storeOn(name);
    const before = await readFile(store.file);
    for (const attempt of [() => store.read(), () => store.update(() => undefined)]) {
      const error = await attempt().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ERROR_CLASSES[want.error]);
      expect(error).toMatchObject({ name: want.error, code: want.code, exitCode: want.exitCode, file: store.file });
      const message = (error as Error).message;
      expect(message).toContain(store.file);
      expect(message).toContain(want.problem);
      expect((error as StateCorruptedError).problem).toContain(want.problem);
    }
    expect(await readFile(store.file)).toEqual(before);
  });
});
