import { setTimeout as sleep } from 'node:timers/promises';
import { effectiveStatus, readAgentStatuses, type AgentStatus } from '../../solo/index.js';
import type { MemoryRecord, MemoryStore } from '../../memory/index.js';
import { plainText } from '../../observability/index.js';
import { interruptSignal } from '../interrupt.js';
import { ScreenFrame } from '../screen-frame.js';
import { paint, println, type Terminal } from '../terminal.js';
import { DEFAULT_PROJECT, formatMemory, openMemoryContext } from './role-agent-setup.js';

/** Options of `agent-team monitor`. */
export interface MonitorOptions {
  project?: string | undefined;
  /** Seconds between refreshes (default 5). */
  interval?: number | undefined;
  /** Most recent memories shown (default 10). */
  limit?: number | undefined;
  /** Print one snapshot and exit. */
  once?: boolean | undefined;
  config?: string | undefined;
  cwd: string;
  terminal: Terminal;
  /** Supplied by tests and the server; the CLI uses Ctrl-C. */
  signal?: AbortSignal | undefined;
}

/** What the monitor shows at one moment. */
interface Snapshot {
  agents: { status: AgentStatus; state: string }[];
  problems: string[];
  /** Every memory of the project, newest first. */
  memories: MemoryRecord[];
}

// Finished agents stay on screen for a while; older ones are only in `findings`.
const FINISHED_SHOWN = 10;

async function takeSnapshot(input: { store: MemoryStore; projectDir: string; project: string }): Promise<Snapshot> {
  const listing = await readAgentStatuses(input.projectDir);
  const agents = listing.agents
    .filter((status) => status.project === input.project)
    .map((status) => ({ status, state: effectiveStatus(status) }));
  const active = agents.filter((agent) => agent.state === 'running' || agent.state === 'starting');
  const finished = agents.filter((agent) => agent.state !== 'running' && agent.state !== 'starting').slice(0, FINISHED_SHOWN);
  return { agents: [...active, ...finished], problems: listing.problems, memories: await input.store.search({ project: input.project }) };
}

function stateColor(state: string): 'green' | 'red' | 'yellow' | 'cyan' {
  if (state === 'completed') return 'green';
  if (state === 'running' || state === 'starting') return 'cyan';
  return state === 'cancelled' ? 'yellow' : 'red';
}

function agentLine(terminal: Terminal, agent: Snapshot['agents'][number], now: number): string {
  const { status, state } = agent;
  const end = status.endedAt === null ? now : Date.parse(status.endedAt);
  const seconds = ((end - Date.parse(status.startedAt)) / 1000).toFixed(1);
  const detail = plainText(status.summary ?? status.error ?? status.task);
  const shown = paint(terminal, stateColor(state), state.padEnd(9));
  return `  ${status.id.padEnd(22)} ${status.role.padEnd(12)} ${shown} ${seconds.padStart(6)} s  ${detail.slice(0, 90)}`;
}

function render(input: { terminal: Terminal; snapshot: Snapshot; project: string; limit: number }): string[] {
  const { terminal, snapshot, project } = input;
  const recent = snapshot.memories.slice(0, input.limit);
  const now = Date.now();
  const running = snapshot.agents.filter((agent) => agent.state === 'running' || agent.state === 'starting').length;
  const lines = [
    paint(terminal, 'bold', `agent-team monitor — project "${project}" — ${new Date(now).toISOString().slice(11, 19)} UTC`),
    '',
  ];
  lines.push(paint(terminal, 'bold', `Agents (${running} running, ${snapshot.agents.length - running} finished)`));
  if (snapshot.agents.length === 0)
    lines.push('  none yet: start one with', `  agent-team spawn <role> <dir> "<task>" --project ${project}`);
  for (const agent of snapshot.agents) lines.push(agentLine(terminal, agent, now));
  for (const problem of snapshot.problems) lines.push(paint(terminal, 'yellow', `  skipped ${problem}`));
  lines.push('', paint(terminal, 'bold', `Recent memories (${recent.length} of ${snapshot.memories.length})`));
  if (recent.length === 0) lines.push('  none yet');
  for (const memory of recent) lines.push(formatMemory(terminal, memory));
  return lines;
}

/**
 * `agent-team monitor`: live agent activity of a project — agents from their status
 * files and the newest memories. A TTY is redrawn in place; a pipe gets the first
 * snapshot, then one line per change. Runs until Ctrl-C, or once with --once.
 */
export async function monitor(options: MonitorOptions): Promise<number> {
  const { terminal } = options;
  const project = options.project ?? DEFAULT_PROJECT;
  const { projectDir, store } = openMemoryContext({ cwd: options.cwd, config: options.config });
  const input = { store, projectDir, project };
  const view = (snapshot: Snapshot): string[] => render({ terminal, snapshot, project, limit: options.limit ?? 10 });
  const first = await takeSnapshot(input);
  if (options.once === true) {
    for (const line of view(first)) println(terminal, line);
    return 0;
  }
  const interrupt = options.signal === undefined ? interruptSignal() : undefined;
  const signal = options.signal ?? interrupt?.signal;
  const intervalMs = Math.max(0.2, options.interval ?? 5) * 1000;
  // What a pipe has already been told, so each refresh prints only what changed.
  const seenMemories = new Set(first.memories.map((memory) => memory.id));
  const seenStates = new Map(first.agents.map((agent) => [agent.status.id, agent.state]));
  const screen = terminal.isTty ? new ScreenFrame(terminal) : undefined;
  try {
    let snapshot = first;
    if (!terminal.isTty) for (const line of view(first)) println(terminal, line);
    for (;;) {
      screen?.draw(view(snapshot), paint(terminal, 'dim', 'Ctrl-C to quit'));
      try {
        await sleep(intervalMs, undefined, { signal });
      } catch {
        break; // Ctrl-C
      }
      snapshot = await takeSnapshot(input);
      if (terminal.isTty) continue;
      const time = new Date().toISOString().slice(11, 19);
      for (const agent of [...snapshot.agents].reverse()) {
        if (seenStates.get(agent.status.id) === agent.state) continue;
        seenStates.set(agent.status.id, agent.state);
        println(
          terminal,
          `${time} agent ${agent.status.id} (${agent.status.role}) ${agent.state}${agent.status.summary === null ? '' : `: ${plainText(agent.status.summary)}`}`,
        );
      }
      for (const memory of [...snapshot.memories].reverse()) {
        if (seenMemories.has(memory.id)) continue;
        seenMemories.add(memory.id);
        println(terminal, `${time} memory ${formatMemory(terminal, memory).trimStart()}`);
      }
    }
  } finally {
    screen?.close();
    interrupt?.dispose();
  }
  return 0;
}
