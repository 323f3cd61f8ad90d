import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EVERY_CHANGE_POLL_MS, RunWatches } from '../../src/state/postgres-listen.js';

describe('RunWatches', () => {
  it("wakes its watches of this process's own commit even while its LISTEN connection is not up, once per seq, those of work only for work", async () => {
    // No server in this directory: the LISTEN connection keeps failing, as it does before it is made.
    const empty = await mkdtemp(join(tmpdir(), 'agent-team-no-server-'));
    const watches = new RunWatches({
      client: { connectionString: `postgresql://postgres@localhost:5432/nowhere?host=${encodeURIComponent(empty)}` },
      channel: 'agent_team_test',
      pollIntervalMs: 60_000,
      knownSeq: () => undefined,
      readSeq: async () => undefined,
    });
    try {
      const heard: number[] = [];
      const heardWork: number[] = [];
      let seq = 0;
      watches.add(() => heard.push(seq));
      watches.add(() => heardWork.push(seq), 'work');
      // [seq, whether the commit was one of work]
      const commits: [number, boolean][] = [
        [3, true],
        [3, true],
        [4, false],
        [2, true],
        [5, true],
      ];
      for (const [committed, work] of commits) {
        seq = committed;
        watches.committed(committed, work);
      }
      expect(heard).toEqual([3, 4, 5]);
      expect(heardWork).toEqual([3, 5]);
    } finally {
      await watches.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
  it('polls for the watches of every change at least every EVERY_CHANGE_POLL_MS, for the watches of work at the fallback interval', async () => {
    vi.useFakeTimers();
    const empty = await mkdtemp(join(tmpdir(), 'agent-team-no-server-'));
    let seq = 5;
    const watches = new RunWatches({
      client: { connectionString: `postgresql://postgres@localhost:5432/nowhere?host=${encodeURIComponent(empty)}` },
      channel: 'agent_team_test',
      pollIntervalMs: 60_000,
      knownSeq: () => 5,
      readSeq: async () => seq,
    });
    try {
      const heard = { all: 0, work: 0 };
      watches.add(() => (heard.all += 1), 'all');
      watches.add(() => (heard.work += 1), 'work');
      // A claim by another process: no NOTIFY tells of it.
      seq = 6;
      await vi.advanceTimersByTimeAsync(EVERY_CHANGE_POLL_MS);
      expect(heard).toEqual({ all: 1, work: 0 });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(heard).toEqual({ all: 1, work: 1 });
    } finally {
      vi.useRealTimers();
      await watches.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
