/**
 * The heartbeat on a state the disk refuses: it stops beating and reports the
 * StorageError once, and the role agent ends with it instead of waiting for
 * work forever. Real files on a real tmpfs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StorageError } from '../../../src/errors/index.js';
import { startHeartbeat } from '../../../src/team/agents/heartbeat.js';
import { RoleAgent } from '../../../src/team/agents/role-agent.js';
import { mountSmallDisk, type SmallDisk } from '../../support/small-disk.js';
import { createScriptedProvider } from '../../support/scripted-provider.js';
import { createTeamFixture, type TeamFixture, waitForState } from '../../support/team-fixture.js';

let directory: string;
let disk: SmallDisk;
let fixture: TeamFixture;
let stateFile: string;

/** A team whose state lives on the small disk; agents beat every `heartbeatSeconds`. */
async function teamOnSmallDisk(heartbeatSeconds: number): Promise<TeamFixture> {
  return createTeamFixture({
    provider: createScriptedProvider(),
    status: 'running',
    orchestrator: { communication_file: stateFile, coordination: { heartbeat_seconds: heartbeatSeconds } },
  });
}

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'agent-team-heartbeat-'));
  disk = await mountSmallDisk(join(directory, 'state'), 1024 * 1024);
  stateFile = join(disk.dir, 'team-communication.json');
});

afterEach(async () => {
  vi.useRealTimers();
  await fixture?.cleanup();
  disk.unmount();
  await rm(directory, { recursive: true, force: true });
});

describe('startHeartbeat', () => {
  it('stops beating and reports a state the disk refuses to onFatal, with the StorageError naming the state file', async () => {
    fixture = await teamOnSmallDisk(10);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const fatal: StorageError[] = [];
    const reported = new Promise<void>((resolve) => {
      startHeartbeat({
        store: fixture.store,
        agentId: 'backend-dev',
        intervalMs: 1000,
        onFatal: (error) => {
          fatal.push(error);
          resolve();
        },
      });
    });
    disk.makeReadOnly();

    vi.advanceTimersByTime(1000);
    await reported;
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(StorageError);
    expect(fatal[0]).toMatchObject({ file: stateFile, errno: 'EROFS', exitCode: 4 });
    // No beat is left to fail again.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('logs a beat that fails for another reason and keeps beating', async () => {
    fixture = await teamOnSmallDisk(10);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const onFatal = vi.fn();
    const stop = startHeartbeat({ store: fixture.store, agentId: 'backend-dev', intervalMs: 1000, onFatal });
    await writeFile(stateFile, '{ not json');

    vi.advanceTimersByTime(1000);
    // Queued after the beat in the same store, so it settles after the beat's own handler ran.
    await expect(fixture.store.update(() => undefined)).rejects.toMatchObject({ code: 'state_corrupted' });
    expect(onFatal).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(1);
    stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('RoleAgent', () => {
  it('waiting for work on a disk that turns read-only, ends with the StorageError its heartbeat met', async () => {
    fixture = await teamOnSmallDisk(0.2);
    const running = new RoleAgent(fixture.context, 'backend-dev').run(fixture.signal);
    await waitForState(fixture, (state) => state.agents['backend-dev']?.status === 'idle');
    disk.makeReadOnly();

    const error = await running.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(StorageError);
    // The beat may meet the read-only disk at its lock, its backup or its write.
    expect(error).toMatchObject({ file: expect.stringMatching(/team-communication\.json(\.bak)?$/), errno: 'EROFS' });
    expect((error as StorageError).message).toContain(stateFile);
  });
});
