import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { teamStateSchema, type TeamState } from '../../../src/state/index.js';
import { runTeam } from '../../../src/team/index.js';
import { canonicalEvents, readEntries } from '../../support/ledger.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';

const FEATURE = 'Add user authentication with email and password';
const projects: TempProject[] = [];

afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.cleanup()));
});

/** The state without what differs between two runs by nature: times, ids, pids, the run directory. */
function comparable(state: TeamState): unknown {
  const varying = [
    'createdAt',
    'updatedAt',
    'endedAt',
    'claimedAt',
    'completedAt',
    'raisedAt',
    'resolvedAt',
    'heartbeatAt',
    'at',
    'pid',
    'id',
    'runDir',
    'record',
    'replay',
    'seq',
  ];
  const text = JSON.stringify(state, (key, value: unknown) => {
    if (varying.includes(key) && (value === null || typeof value !== 'object')) return '-';
    // Sums of costs depend on the order calls settle in: compare them to the 1e-10 dollar.
    if (typeof value === 'number' && !Number.isInteger(value)) return Number(value.toFixed(10));
    return value;
  });
  return JSON.parse(text) as unknown;
}

describe('record and replay', () => {
  it('replays a recorded sim run offline to the same state file and ledger', async () => {
    const recording = await tempProject();
    const replaying = await tempProject();
    projects.push(recording, replaying);
    const cassette = recording.path('run.cassette.jsonl');
    const recorded = await runTeam({
      config: loadTeamConfig({ cwd: recording.dir }),
      feature: FEATURE,
      seed: 5,
      timeScale: 0,
      record: cassette,
    });
    expect(recorded.status).toBe('done');

    const replayed = await runTeam({
      config: loadTeamConfig({ cwd: replaying.dir }),
      feature: FEATURE,
      seed: 5,
      timeScale: 0,
      replay: cassette,
    });
    expect(replayed.status).toBe('done');

    const stateOf = async (file: string) => teamStateSchema.parse(JSON.parse(await readFile(file, 'utf8')));
    expect(comparable(await stateOf(replayed.files.state))).toEqual(comparable(await stateOf(recorded.files.state)));
    expect(canonicalEvents(await readEntries(replayed.files.ledger))).toEqual(canonicalEvents(await readEntries(recorded.files.ledger)));
    expect(replayed.summary.tokens).toEqual(recorded.summary.tokens);
    expect(replayed.summary.costUsd).toBeCloseTo(recorded.summary.costUsd, 12);
  });

  it('names the agent and the call when the cassette has no answer for it', async () => {
    const recording = await tempProject();
    const replaying = await tempProject();
    projects.push(recording, replaying);
    const cassette = recording.path('run.cassette.jsonl');
    await runTeam({ config: loadTeamConfig({ cwd: recording.dir }), feature: FEATURE, seed: 5, timeScale: 0, record: cassette });
    // Another feature asks other questions: the manager's first call is not in the cassette.
    const failure = await runTeam({
      config: loadTeamConfig({ cwd: replaying.dir }),
      feature: 'Add a shopping cart',
      seed: 5,
      timeScale: 0,
      replay: cassette,
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ failure: 'cassette_miss' });
    expect(String((failure as Error).message)).toMatch(/manager/);
    expect(String((failure as Error).message)).toMatch(/plan/);
    expect(String((failure as Error).message)).toContain(cassette);
  });
});
