/**
 * The file store on a disk that fills up, turns read-only or finds a directory where
 * its file was: every failure is a StorageError naming the file, nothing is written
 * partially, and the store works again once the disk is fixed. Real tmpfs mounts.
 */
import { link, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StorageError } from '../../src/errors/index.js';
import { FileStore, readLedger, resetLedger } from '../../src/state/index.js';
import { mountSmallDisk, type SmallDisk } from '../support/small-disk.js';

const boardSchema = z.object({ seq: z.number().int().nonnegative(), count: z.number().int().nonnegative() });
type Board = z.infer<typeof boardSchema>;
type BoardEvent = { type: 'count-increment'; by: number; note?: string };

let directory: string;
let disk: SmallDisk;
let file: string;
let ledgerFile: string;

/** The backup is kept on the first commit over an existing file, then not again within the hour. */
function createStore(): FileStore<Board, BoardEvent> {
  return new FileStore<Board, BoardEvent>({
    file,
    ledgerFile,
    schema: boardSchema,
    // Refreshing the backup frees the old one's pages, room a test filling the disk must not leave.
    backupIntervalMs: 3_600_000,
    initial: () => ({ seq: 0, count: 0 }),
  });
}

/** Adds one to the count and records it. */
function increment(store: FileStore<Board, BoardEvent>, note?: string): Promise<void> {
  return store.update((state, context) => {
    state.count += 1;
    context.emit({ type: 'count-increment', by: 1, ...(note === undefined ? {} : { note }) });
  });
}

async function storageErrorOf(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'agent-team-storage-'));
  disk = await mountSmallDisk(join(directory, 'state'), 1024 * 1024);
  file = join(disk.dir, 'board.json');
  ledgerFile = join(disk.dir, 'ledger.jsonl');
});

afterEach(async () => {
  disk.unmount();
  await rm(directory, { recursive: true, force: true });
});

describe('FileStore on a full disk', () => {
  it('rejects an update with a StorageError naming the state file; state and .bak keep their bytes, and a new store commits once space is freed', async () => {
    const store = createStore();
    await increment(store);
    await increment(store);
    const [stateBefore, backupBefore, ledgerBefore] = await Promise.all([
      readFile(file, 'utf8'),
      readFile(`${file}.bak`, 'utf8'),
      readFile(ledgerFile, 'utf8'),
    ]);
    await disk.fill();

    const error = await storageErrorOf(increment(store));
    expect(error).toMatchObject({ code: 'storage_failed', exitCode: 4, file, errno: 'ENOSPC', problem: 'no space left on device' });
    expect(error.message).toContain(`Could not write the state file ${file}: no space left on device (ENOSPC`);
    expect(error.message).toContain('agent-team run --resume');
    expect(await readFile(file, 'utf8')).toBe(stateBefore);
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(backupBefore);
    // The change's event went to the ledger first (it had room); it is past the state's seq, so the next commit cuts it off.
    expect((await readFile(ledgerFile, 'utf8')).startsWith(ledgerBefore)).toBe(true);
    // No temp file is left behind to take the space that was freed.
    expect((await readdir(disk.dir)).sort()).toEqual(['.filler', 'board.json', 'board.json.bak', 'ledger.jsonl']);

    await disk.free();
    // This store writes nothing more: its process is to end, leaving the last good state.
    await expect(increment(store)).rejects.toBe(error);
    const resumed = createStore();
    await increment(resumed);
    expect((await resumed.read()).count).toBe(3);
    expect((await readLedger(ledgerFile)).map((entry) => entry.seq)).toEqual([1, 2, 3]);
  });

  it('rejects every update queued behind a failed commit with the same error, without writing', async () => {
    const store = createStore();
    await increment(store);
    await increment(store);
    const stateBefore = await readFile(file, 'utf8');
    await disk.fill();

    const first = increment(store);
    const queued = [increment(store), increment(store)];
    const error = await storageErrorOf(first);
    for (const update of queued) await expect(update).rejects.toBe(error);
    await disk.free();
    expect(await readFile(file, 'utf8')).toBe(stateBefore);
  });

  it('cuts a ledger append the disk could only half take back to whole lines: the error names the ledger, nothing is written', async () => {
    const store = createStore();
    await increment(store);
    const ledgerBefore = await readFile(ledgerFile, 'utf8');
    // Room for the small state file, not for an event of 256 KiB.
    await disk.fill(32 * 1024);

    const error = await storageErrorOf(increment(store, 'x'.repeat(256 * 1024)));
    expect(error).toMatchObject({ file: ledgerFile, errno: 'ENOSPC' });
    expect(error.message).toContain(`Could not append 1 event(s) to the ledger ${ledgerFile}: no space left on device`);
    expect(error.message).toContain(`Nothing was written: the state file ${file} still holds the last good state (before seq 2).`);
    expect((await store.read()).count).toBe(1);
    expect(await readFile(ledgerFile, 'utf8')).toBe(ledgerBefore);

    // A resumed run appends after whole lines only: the ledger reads back, with the state's every change and nothing else.
    await disk.free();
    await increment(createStore());
    expect((await readLedger(ledgerFile)).map((entry) => entry.seq)).toEqual([1, 2]);
  });
});

describe('FileStore after a failed write', () => {
  it('keeps no temp name behind when the backup already is the current version (kept before the write failed)', async () => {
    await increment(createStore());
    await link(file, `${file}.bak`);

    await increment(createStore());
    expect((await readdir(disk.dir)).sort()).toEqual(['board.json', 'board.json.bak', 'ledger.jsonl']);
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8'))).toMatchObject({ count: 1 });
  });
});

describe('FileStore on a read-only disk', () => {
  it('still reads, and rejects an update with a StorageError naming the state file and its lock', async () => {
    const store = createStore();
    await increment(store);
    const stateBefore = await readFile(file, 'utf8');
    disk.makeReadOnly();

    expect((await store.read()).count).toBe(1);
    const error = await storageErrorOf(increment(store));
    expect(error).toMatchObject({ file, errno: 'EROFS', problem: 'read-only file system', syscall: 'mkdir' });
    expect(error.message).toContain(`Could not lock the state file ${file}: read-only file system (EROFS, mkdir ${file}.lock)`);
    expect(error.message).toContain(`Make ${disk.dir} writable`);
    expect(await readFile(file, 'utf8')).toBe(stateBefore);

    disk.makeWritable();
    const resumed = createStore();
    await increment(resumed);
    expect((await resumed.read()).count).toBe(2);
  });

  it('cannot empty the ledger for a new run: a StorageError that says to start the run again', async () => {
    disk.makeReadOnly();
    const error = await storageErrorOf(resetLedger(ledgerFile));
    expect(error).toMatchObject({ file: ledgerFile, errno: 'EROFS' });
    expect(error.message).toContain(`Could not empty the ledger ${ledgerFile}: read-only file system`);
    expect(error.message).toContain('then start the run again.');
  });
});

describe('a directory where a file should be', () => {
  it('the state file: read and update fail with a StorageError naming it and its backup', async () => {
    const store = createStore();
    await increment(store);
    await rename(file, `${file}.moved`);
    await mkdir(file);

    const read = await storageErrorOf(store.read());
    expect(read).toMatchObject({ file, errno: 'EISDIR', problem: 'is a directory' });
    expect(read.message).toContain(`Could not read the state file ${file}: is a directory (EISDIR`);
    expect(read.message).toContain(`kept as ${file}.bak`);
    expect(read.message).toContain(`Remove the directory ${file}`);
    await storageErrorOf(increment(store));
    await storageErrorOf(createStore().read());
  });

  it('the ledger: reading it fails with a StorageError naming it', async () => {
    await mkdir(ledgerFile);
    const error = await storageErrorOf(readLedger(ledgerFile));
    expect(error).toMatchObject({ file: ledgerFile, errno: 'EISDIR' });
    expect(error.message).toContain(`Could not read the ledger ${ledgerFile}: is a directory`);
  });
});
