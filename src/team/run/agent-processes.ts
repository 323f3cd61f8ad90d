import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot, type TeamConfig } from '../../config/index.js';
import { AgentTeamError } from '../../errors/index.js';
import { releaseTask } from '../tasks/report-result.js';
import type { TeamStore } from '../agents/team-context.js';

/** A role agent running as its own OS process. */
export interface AgentProcess {
  readonly agentId: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number>;
}

const STDERR_TAIL = 2000;
// The exit code of an agent whose state failed it (StorageError, StateCorruptedError…): the run cannot go on.
const STATE_ERROR_EXIT = 4;

/**
 * Starts `agent-team agent --id <id>` for every role agent. A process that dies
 * without saying goodbye is marked stopped in the state with its exit code and
 * the end of its stderr, so the coordinator can reassign or fail its work. One
 * that the state failed (exit 4: a full or read-only disk…) leaves the state as
 * it is and rejects `exited` with its error: the run is to end with it.
 */
export function startAgentProcesses(input: { config: TeamConfig; store: TeamStore; cwd: string }): AgentProcess[] {
  const bin = join(packageRoot(), 'bin', 'agent-team.js');
  return input.config.roster
    .filter((member) => !member.isManager)
    .map((member) => {
      const args = [bin, 'agent', '--id', member.id, ...(input.config.configFile === null ? [] : ['--config', input.config.configFile])];
      // Own process group? No: on a TTY, Ctrl-C reaches the agents directly and each releases its task.
      const child = spawn(process.execPath, args, { cwd: input.cwd, stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL);
      });
      const exited = new Promise<number>((resolve) => {
        child.on('error', (error) => {
          stderr += String(error);
          resolve(1);
        });
        child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
      }).then(async (code) => {
        if (code === STATE_ERROR_EXIT) throw agentStateError({ agentId: member.id, stderr });
        if (code !== 0 && code !== 130) {
          await input.store.update((state, context) => {
            const agent = state.agents[member.id];
            if (agent === undefined || agent.status === 'stopped') return;
            for (const taskId of [...agent.activeTasks]) {
              releaseTask({ state, agentId: member.id, taskId, reason: 'agent process died', emit: context.emit });
            }
            agent.status = 'stopped';
            agent.stopReason = `process exited with code ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
            context.emit({ type: 'agent-stop', agentId: member.id, reason: agent.stopReason });
          });
        }
        return code;
      });
      // Awaited only once the coordinator ends; until then a failure must not crash the process.
      exited.catch(() => undefined);
      return { agentId: member.id, child, exited };
    });
}

/** Asks every agent process to stop (SIGINT: each releases its task), then kills stragglers. */
export async function stopAgentProcesses(processes: readonly AgentProcess[], graceMs = 10_000): Promise<void> {
  for (const agent of processes) if (agent.child.exitCode === null) agent.child.kill('SIGINT');
  const timer = setTimeout(() => {
    for (const agent of processes) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  }, graceMs);
  await Promise.allSettled(processes.map((agent) => agent.exited));
  clearTimeout(timer);
}

/**
 * Runs `coordinate` alongside the agent processes. They exit by themselves once the
 * run is over; on Ctrl-C (`signal`), when coordinating fails, or when an agent
 * process fails (its state failed it), the coordinator is stopped and the agents
 * are asked to stop. Rethrows the coordinator's error, else the agent's.
 */
export async function superviseAgentProcesses(input: {
  processes: readonly AgentProcess[];
  signal: AbortSignal;
  coordinate: (signal: AbortSignal) => Promise<unknown>;
}): Promise<void> {
  const { processes, signal } = input;
  const stop = new AbortController();
  const follow = (): void => stop.abort(signal.reason);
  signal.addEventListener('abort', follow, { once: true });
  if (signal.aborted) follow();
  let agentFailure: unknown;
  for (const agent of processes) {
    agent.exited.catch((error: unknown) => {
      agentFailure ??= error;
      stop.abort(error);
    });
  }
  let finished = false;
  try {
    await input.coordinate(stop.signal);
    finished = !stop.signal.aborted;
  } finally {
    signal.removeEventListener('abort', follow);
    if (finished) await Promise.all(processes.map((agent) => agent.exited));
    else await stopAgentProcesses(processes);
  }
  if (agentFailure !== undefined) throw agentFailure;
}

/** The error an agent process reported before it exited 4 (the CLI's `error: …` lines), as this process's own. */
function agentStateError(input: { agentId: string; stderr: string }): AgentTeamError {
  const at = input.stderr.lastIndexOf('error: ');
  const reported = at === -1 ? input.stderr.trim().split('\n').slice(-3).join('\n') : input.stderr.slice(at + 'error: '.length).trim();
  return new AgentTeamError('agent_state_failed', `Agent process ${input.agentId} stopped: ${reported}`, { exitCode: STATE_ERROR_EXIT });
}
