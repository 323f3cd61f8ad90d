/**
 * The experiment pages' statistics are computed once per version of the experiment's files, whoever asks;
 * while an experiment runs they are computed again at most every refreshMs (the counts are always fresh,
 * and the page says how many cells the statistics cover); a finished experiment's, or results kept
 * without a manifest, at once. On a real experiment directory written by `experiment run`.
 */
import { appendFile, cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { type ExperimentDetail, readExperimentDetail } from '../../src/experiment/index.js';
import { experimentPage } from '../../src/server/dashboard-experiment-pages.js';
import { experimentSource } from '../../src/server/dashboard-experiment-source.js';
import { ExperimentDetails } from '../../src/server/experiment-details.js';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { writeExperiment } from '../support/experiment-fixture.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const REFRESH_MS = 10_000;
let project: TempProject;
let dir: string;

beforeAll(async () => {
  project = await tempProject('agent-team-experiment-details-');
  await writeExperiment(project, { seeds: 2, designs: [{ name: 'one' }, { name: 'two' }], concurrency: 2 });
  const terminal = bufferTerminal();
  const code = await main(['node', 'agent-team', 'experiment', 'run', 'experiment.json'], { terminal, cwd: project.dir });
  expect(code, terminal.stderr()).toBe(0);
  dir = project.path('experiments', 'reviewer-question');
}, 120_000);

afterAll(async () => {
  await project?.cleanup();
});

/** A clock the test moves, and a reader that counts its reads. */
function details(): { details: ExperimentDetails; reads: () => number; advance: (ms: number) => void } {
  let now = 1_000_000;
  let reads = 0;
  const made = new ExperimentDetails({
    now: () => now,
    refreshMs: REFRESH_MS,
    read: (at) => {
      reads += 1;
      return readExperimentDetail(at);
    },
  });
  return {
    details: made,
    reads: () => reads,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** Appends a copy of the last result row under a new seed: one more finished cell, as a running experiment writes. */
async function oneMoreCell(at: string, seed: number): Promise<void> {
  const file = join(at, 'results.jsonl');
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  const row = { ...(JSON.parse(lines.at(-1) as string) as Record<string, unknown>), seed };
  await appendFile(file, `${JSON.stringify(row)}\n`);
}

async function stampOf(roots: string[], id: string): Promise<string> {
  const source = experimentSource(roots);
  const found = await source.find(id);
  if (found === null) throw new Error(`no experiment ${id} in ${roots.join(', ')}`);
  return source.stampOf(found);
}
const covered = (detail: ExperimentDetail): number | undefined => detail.analysis?.rows.length;

describe('experiment statistics for the dashboard', () => {
  it('computes once per version, keeps them at most refreshMs while rows arrive, and says what they cover', async () => {
    const running = project.path('running', 'reviewer-question');
    await cp(dir, running, { recursive: true });
    const roots = [project.path('running')];
    const { details: kept, reads, advance } = details();
    const first = await stampOf(roots, 'reviewer-question');
    const [a, b] = await Promise.all([kept.detail(running, first), kept.detail(running, first)]);
    expect(reads()).toBe(1);
    expect(a).toBe(b);
    expect(covered(a)).toBe(4);
    expect(kept.liveStamp(running, first)).toBe(first);

    // A cell finishes: the summary no longer speaks of these rows, so the experiment runs.
    await oneMoreCell(running, 3);
    const second = await stampOf(roots, 'reviewer-question');
    expect(second).not.toBe(first);
    const fresh = await kept.detail(running, second);
    expect(reads()).toBe(1);
    expect(fresh.overview.progress).toBe('incomplete');
    expect(fresh.overview.cellsFinished).toBe(5);
    expect(covered(fresh)).toBe(4);
    expect(kept.liveStamp(running, second)).toBe(`${second}~kept`);
    const page = String(experimentPage({ id: 'reviewer-question', detail: fresh }));
    expect(page).toContain('Statistics of 4 of the 5 finished cells');

    // Once due, a page following it is told (the stamp changes), and the next look computes them.
    advance(REFRESH_MS);
    expect(kept.liveStamp(running, second)).toBe(`${second}~due`);
    const due = await kept.detail(running, second);
    expect(reads()).toBe(2);
    expect(covered(due)).toBe(5);
    expect(kept.liveStamp(running, second)).toBe(second);
    expect(String(experimentPage({ id: 'reviewer-question', detail: due }))).not.toContain('Statistics of');
  });

  it('computes a finished experiment, and results kept without a manifest, at once', async () => {
    const loose = project.path('loose', 'kept');
    await cp(dir, loose, { recursive: true });
    await rm(join(loose, 'experiment.json'));
    const roots = [project.path('loose')];
    const { details: kept, reads } = details();
    await kept.detail(loose, await stampOf(roots, 'kept'));
    await oneMoreCell(loose, 3);
    const next = await kept.detail(loose, await stampOf(roots, 'kept'));
    expect(next.overview.progress).toBe('unknown');
    expect(reads()).toBe(2);
    expect(covered(next)).toBe(5);

    // The finished experiment itself: its summary is current, nothing is kept back.
    const { details: finished, reads: finishedReads } = details();
    const root = [project.path('experiments')];
    const detail = await finished.detail(dir, await stampOf(root, 'reviewer-question'));
    expect(detail.overview.progress).toBe('finished');
    expect(finishedReads()).toBe(1);
  });

  it('reads again after a read that failed', async () => {
    let calls = 0;
    const kept = new ExperimentDetails({
      read: async (at) => {
        calls += 1;
        if (calls === 1) throw new Error('results caught mid-write');
        return readExperimentDetail(at);
      },
    });
    await expect(kept.detail(dir, 's')).rejects.toThrow('mid-write');
    expect(covered(await kept.detail(dir, 's'))).toBe(4);
    expect(calls).toBe(2);
  });
});
