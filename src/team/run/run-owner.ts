import { randomBytes } from 'node:crypto';
import { AgentTeamError } from '../../errors/index.js';
import { hostId, isProcessRunning, processStartToken } from '../../files/index.js';
import type { RunOwner, TeamState } from '../../state/index.js';

/** Exit code of a command refused because another live process owns the run. */
export const RUN_OWNED_EXIT_CODE = 6;

/** Whether a run's owner can still be counted on, and why not. */
export type OwnerLiveness = { live: true } | { live: false; reason: string };

/** A new owner record for this process, its lease running `leaseMs` from `now`. */
export function newRunOwner(input: { command: string; now: Date; leaseMs: number }): RunOwner {
  return {
    lease: randomBytes(8).toString('hex'),
    host: hostId(),
    pid: process.pid,
    pidStart: processStartToken(process.pid),
    command: input.command,
    since: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + input.leaseMs).toISOString(),
  };
}

// Leases this process holds now. A run it owned but let go of (a run that could not record its end) is not live,
// although this process is: another run in the same process (a test, a server) may take it over at once.
const heldHere = new Set<string>();

/** Marks `lease` as held by this process until `letGo` is called. */
export function holdLease(lease: string): { letGo: () => void } {
  heldHere.add(lease);
  return { letGo: () => heldHere.delete(lease) };
}

/**
 * Is the owner still there? Gone when its lease ran out, or (on this host) when
 * its process no longer exists or its pid now belongs to another process; when
 * the owner is this very process, when it no longer holds the lease.
 */
export function ownerLiveness(owner: RunOwner, now: Date, host = hostId()): OwnerLiveness {
  if (owner.host === host && owner.pid === process.pid && owner.pidStart === processStartToken(process.pid)) {
    return heldHere.has(owner.lease) ? { live: true } : { live: false, reason: 'this process let go of it' };
  }
  if (owner.host === host) {
    if (!isProcessRunning(owner.pid)) return { live: false, reason: `its process ${owner.pid} is not running` };
    const start = processStartToken(owner.pid);
    if (owner.pidStart !== null && start !== null && start !== owner.pidStart) {
      return { live: false, reason: `its process ${owner.pid} is not running (the pid now belongs to another process)` };
    }
  }
  if (Date.parse(owner.expiresAt) <= now.getTime()) return { live: false, reason: `its lease ran out at ${owner.expiresAt}` };
  return { live: true };
}

/** "pid 4242 on build-3 (agent-team run, since 2026-…)". */
export function describeOwner(owner: RunOwner): string {
  return `pid ${owner.pid} on ${owner.host} (agent-team ${owner.command}, since ${owner.since})`;
}

/** The run's owner when it is live and not `lease`; else undefined. */
export function liveOtherOwner(state: TeamState, now: Date, lease?: string): RunOwner | undefined {
  const owner = state.run.owner;
  if (owner === null || owner.lease === lease) return undefined;
  return ownerLiveness(owner, now).live ? owner : undefined;
}

/** Refusal of a command on a run that a live process owns. */
export class RunOwnedError extends AgentTeamError {
  readonly owner: RunOwner;

  constructor(input: {
    runId: string;
    owner: RunOwner;
    stateFile: string;
    attempted: string;
    /** Where the run lives: a run in a database is reached by these commands only with its `--store` (or AGENT_TEAM_STORE). */
    store?: 'file' | 'postgres' | undefined;
  }) {
    super(
      'run_owned',
      `Run ${input.runId} (${input.stateFile}) is live: it belongs to ${describeOwner(input.owner)}. ` +
        `${input.attempted} would run its tasks twice. Watch it with \`agent-team status\` or \`agent-team monitor\`; ` +
        'stop it with Ctrl-C in its terminal (or `kill -INT ' +
        `${input.owner.pid}\`), then \`agent-team run --resume\`.` +
        (input.store === 'postgres' ? ' The agent-team commands above need the same `--store` (or AGENT_TEAM_STORE).' : ''),
      { exitCode: RUN_OWNED_EXIT_CODE },
    );
    this.name = 'RunOwnedError';
    this.owner = input.owner;
  }
}
