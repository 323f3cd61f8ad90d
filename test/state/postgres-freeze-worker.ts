/**
 * A process frozen in the middle of a commit, for postgres-store.test.ts: it opens the run's store
 * (with the lock hold limit given), reads it and watches it, and prints `ready`. When it hears of a
 * newer commit than the one it read, it commits an update: having heard of one, it takes the run
 * row's lock first, then runs the update's function, which never returns (its event loop blocked, as
 * a process stopped or suspended mid-commit) after printing `holding`: the transaction that locks the
 * run row is then open and idle.
 */
import { writeSync } from 'node:fs';
import { PostgresStore } from '../../src/state/index.js';

const [url = '', run = '', limit = ''] = process.argv.slice(2);
const store = new PostgresStore({ url, run, lockHoldLimitMs: Number(limit) });
await store.read();
let started = false;
store.watch(() => {
  if (started) return;
  started = true;
  void store.update(() => {
    writeSync(1, 'holding\n');
    // Blocked for good: only a signal ends it.
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  });
});
writeSync(1, 'ready\n');
