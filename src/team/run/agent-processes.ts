import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot, STORE_ENV, storeValue, type TeamConfig } from '../../config/index.js';
import { releaseAgentReservations } from '../../cost/index.js';
import { AgentTeamError } from '../../errors/index.js';
import { getLogger, traceContextEnv } from '../../observability/index.js';
import { TERMINAL_RUN_STATUSES } from '../../state/index.js';
import { OWNERSHIP_LOST_EXIT_CODE } from '../agents/fenced-store.js';
import type { TeamStore } from '../agents/team-context.js';
import { releaseTask } from '../tasks/report-result.js';

const log = getLogger('team:supervisor');

/** The environment variable that hands an agent process its owner's lease. */
export const LEASE_ENV = 'AGENT_TEAM_LEASE';

const STDERR_TAIL = 2000;
// Exit codes after which an agent is not started again: it finished, was interrupted, or its run changed hands.
const FINAL_EXIT_CODES = new Set([0, 130, OWNERSHIP_LOST_EXIT_CODE]);
// The exit code of an agent whose state failed it (StorageError, StateCorruptedError…): the run cannot go on, nor write.
const STATE_ERROR_EXIT = 4;

/** The error an agent process reported before it exited 4 (the CLI's `error: …` line), as the supervisor's own. */
function agentStateError(agentId: string, stderr: string): AgentTeamError {
  const at = stderr.lastIndexOf('error: ');
  const reported = at === -1 ? stderr.trim().split('\n').slice(-3).join('\n') : stderr.slice(at + 'error: '.length).trim();
  return new AgentTeamError('agent_state_failed', `Agent process ${agentId} stopped: ${reported}`, { exitCode: STATE_ERROR_EXIT });
}

/** What the supervisor needs to start and watch agent processes; timers are injectable for tests. */
export interface SupervisorOptions {
  config: TeamConfig;
  /** The owner's fenced store. */
  store: TeamStore;
  cwd: string;
  /** The owner's lease: agents write only while the run is still the owner's. */
  lease: string;
  /** The role agents to run (default: every role agent of the roster). */
  agentIds?: readonly string[] | undefined;
  /** Wait before the n-th restart (1-based); default restartDelayMs. */
  restartDelay?: (restart: number) => number;
  /** An agent process that the state failed (exit 4: a full or read-only disk…): the run cannot go on. Its error, as its own. */
  onFatal?: (error: AgentTeamError) => void;
}

/** One role agent process and its restarts. */
interface Supervised {
  readonly agentId: string;
  child: ChildProcess | undefined;
  restarts: number;
  stderr: string;
}

/** Backoff before the n-th restart (1-based): 1 s, 2 s, 4 s … at most 10 s. */
export function restartDelayMs(restart: number): number {
  return Math.min(10_000, 1000 * 2 ** (restart - 1));
}

/**
 * Runs every role agent as its own OS process (`agent-team agent --id <id>`)
 * and keeps them running: an agent that dies has its tasks back to ready and
 * its budget holds released at once, and is started again (up to
 * coordination.agent_restarts times, with backoff); one silent for three
 * heartbeats is killed and restarted the same way. Each agent watches its
 * parent through an IPC channel and stops when the parent is gone, so the
 * coordinator's death leaves no process behind.
 */
export class AgentSupervisor {
  readonly #options: SupervisorOptions;
  readonly #agents: Supervised[];
  #stopping = false;
  readonly #restarts = new Map<string, ReturnType<typeof setTimeout>>();
  #watch: ReturnType<typeof setInterval> | undefined;
  // Agents running or due to restart; `finished` resolves when none is left.
  #pending = 0;
  #settled: (() => void) | undefined;
  readonly #finished = new Promise<void>((resolve) => {
    this.#settled = resolve;
  });

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#agents = options.config.roster
      .filter((member) => !member.isManager && (options.agentIds === undefined || options.agentIds.includes(member.id)))
      .map((member) => ({ agentId: member.id, child: undefined, restarts: 0, stderr: '' }));
  }

  /** Starts every agent and the watch on their heartbeats. */
  start(): void {
    for (const agent of this.#agents) this.#spawn(agent);
    const beatMs = this.#options.config.orchestrator.coordination.heartbeat_seconds * 1000;
    this.#watch = setInterval(() => void this.#killSilent(beatMs * 3), beatMs);
    this.#watch.unref();
  }

  /** Resolves once every agent process has ended and none is due to restart. */
  finished(): Promise<void> {
    return this.#finished;
  }

  /** Asks every agent to stop (SIGINT: each releases its task), kills stragglers after `graceMs`, and restarts none. */
  async stop(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#restarts.values()) {
      clearTimeout(timer);
      this.#done();
    }
    this.#restarts.clear();
    for (const agent of this.#agents) if (agent.child?.exitCode === null) agent.child.kill('SIGINT');
    const timer = setTimeout(() => {
      for (const agent of this.#agents) if (agent.child?.exitCode === null) agent.child.kill('SIGKILL');
    }, graceMs);
    await this.#finished;
    clearTimeout(timer);
  }

  /** One agent is over for good (or one restart was dropped). */
  #done(): void {
    this.#pending -= 1;
    if (this.#pending > 0) return;
    if (this.#watch !== undefined) clearInterval(this.#watch);
    this.#settled?.();
  }

  #spawn(agent: Supervised): void {
    if (agent.child === undefined) this.#pending += 1;
    const { config, cwd, lease } = this.#options;
    const bin = join(packageRoot(), 'bin', 'agent-team.js');
    const args = [bin, 'agent', '--id', agent.agentId, ...(config.configFile === null ? [] : ['--config', config.configFile])];
    // Same process group: on a TTY, Ctrl-C reaches the agents directly and each releases its task.
    // The IPC channel is how an agent learns that its parent is gone, however it died.
    const child = spawn(process.execPath, args, {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // The store as this run has it, by environment: a database URL may hold a password, and arguments are visible to every user.
      // With tracing on, TRACEPARENT makes the agent's spans children of the run's dispatch span.
      env: { ...process.env, [LEASE_ENV]: lease, [STORE_ENV]: storeValue(config.store), ...traceContextEnv() },
    });
    agent.child = child;
    agent.stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      agent.stderr = (agent.stderr + chunk).slice(-STDERR_TAIL);
    });
    void new Promise<{ code: number; how: string }>((resolve) => {
      child.on('error', (error) => {
        agent.stderr += String(error);
        resolve({ code: 1, how: 'could not start' });
      });
      child.on('exit', (code, signal) =>
        resolve(code === null ? { code: 128, how: `was killed by ${signal ?? 'a signal'}` } : { code, how: `exited with code ${code}` }),
      );
    }).then(async ({ code, how }) => {
      const again = await this.#onExit(agent, code, how);
      if (again && !this.#stopping) this.#scheduleRestart(agent);
      else this.#done();
    });
  }

  #scheduleRestart(agent: Supervised): void {
    agent.restarts += 1;
    const delay = (this.#options.restartDelay ?? restartDelayMs)(agent.restarts);
    const timer = setTimeout(() => {
      this.#restarts.delete(agent.agentId);
      if (this.#stopping) this.#done();
      else this.#spawn(agent);
    }, delay);
    this.#restarts.set(agent.agentId, timer);
  }

  /** Records how the agent ended; true when it is to be started again. */
  async #onExit(agent: Supervised, code: number, how: string): Promise<boolean> {
    if (FINAL_EXIT_CODES.has(code)) return false;
    if (code === STATE_ERROR_EXIT) {
      // Writing to the state is what failed: leave it as it is, and end the run with the agent's error.
      this.#options.onFatal?.(agentStateError(agent.agentId, agent.stderr));
      return false;
    }
    const tail = agent.stderr.trim().split('\n').slice(-3).join(' | ');
    const why = `its process ${how}${tail === '' ? '' : `: ${tail}`}`;
    const restart = agent.restarts + 1;
    const limit = this.#options.config.orchestrator.coordination.agent_restarts;
    const again = await this.#options.store
      .update((state, context) => {
        const live = state.agents[agent.agentId];
        if (live === undefined) return false;
        // Every task it held goes back, whether or not it had started it (activeTasks is cleared below).
        for (const task of state.tasks) {
          if (task.status === 'in_progress' && task.assignee === agent.agentId) {
            releaseTask({ state, agentId: agent.agentId, taskId: task.id, reason: 'agent process died', emit: context.emit });
          }
        }
        releaseAgentReservations(state.budget, agent.agentId);
        live.pid = null;
        live.heartbeatAt = null;
        live.activeTasks = [];
        const restartable = !this.#stopping && restart <= limit && !TERMINAL_RUN_STATUSES.has(state.run.status);
        if (restartable) {
          live.status = 'idle';
          live.stopReason = null;
          context.emit({ type: 'agent-restart', agentId: agent.agentId, restart, reason: why });
          return true;
        }
        if (live.status !== 'stopped') {
          live.status = 'stopped';
          live.stopReason = restart > limit ? `${why} (given up after ${limit} restarts)` : why;
          context.emit({ type: 'agent-stop', agentId: agent.agentId, reason: live.stopReason });
        }
        return false;
      })
      .catch((error: unknown) => {
        log.warn('could not record an agent process ending', { agentId: agent.agentId, error: String(error) });
        return false;
      });
    return again;
  }

  /** Kills agents whose heartbeat is older than `staleMs`; their exit restarts them. */
  async #killSilent(staleMs: number): Promise<void> {
    if (this.#stopping) return;
    const state = await this.#options.store.read().catch(() => undefined);
    if (state === undefined) return;
    const now = Date.now();
    for (const agent of this.#agents) {
      const live = state.agents[agent.agentId];
      const child = agent.child;
      if (live === undefined || child === undefined || child.exitCode !== null || live.pid !== child.pid || live.heartbeatAt === null)
        continue;
      if (now - Date.parse(live.heartbeatAt) <= staleMs) continue;
      log.warn('agent process is silent; killing it to start it again', { agentId: agent.agentId, pid: child.pid });
      agent.stderr += `\nsilent for ${Math.round((now - Date.parse(live.heartbeatAt)) / 1000)} s`;
      child.kill('SIGKILL');
    }
  }
}
