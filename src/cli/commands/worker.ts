import { loadTeamConfig } from '../../config/index.js';
import { jsonText } from '../../observability/index.js';
import { describeTeamStore, serveAgents, type WorkerEvent, workerAgents } from '../../team/index.js';
import { EXIT } from '../exit-codes.js';
import { interruptSignal } from '../interrupt.js';
import { storeChoice } from '../store-option.js';
import { println, type Terminal } from '../terminal.js';

/** Options of `agent-team worker`. */
export interface WorkerCommandOptions {
  /** Roster ids, comma-separated (default: every role agent). */
  agents?: string | undefined;
  /** Leave after the first run served instead of waiting for the next. */
  once?: boolean | undefined;
  store?: string | undefined;
  config?: string | undefined;
  /** One JSON line per event instead of text. */
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  signal?: AbortSignal | undefined;
}

/**
 * `agent-team worker`: serves role agents of the team's live run from this machine (the run is
 * coordinated by `agent-team run --remote-agents …` elsewhere, on the same store), run after run.
 */
export async function worker(options: WorkerCommandOptions): Promise<number> {
  const { terminal } = options;
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, ...storeChoice(options.store) });
  const requested = options.agents
    ?.split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  // Checked against the roster of each run it joins (a run started with a design has that design's), not the config's.
  const agentIds = requested === undefined || requested.length === 0 ? undefined : requested;
  const interrupt = options.signal === undefined ? interruptSignal({ everyEnding: true }) : undefined;
  const signal = (options.signal ?? interrupt?.signal) as AbortSignal;
  if (options.json !== true) {
    const serving =
      agentIds?.join(', ') ?? `every role agent of the run's team (${workerAgents(config, undefined).join(', ')} in the config)`;
    println(terminal, `worker: serving ${serving} on ${describeTeamStore(config)}`);
  }
  try {
    const exit = await serveAgents({
      config,
      agentIds,
      signal,
      once: options.once,
      onEvent: (event) => (options.json === true ? terminal.out.write(`${jsonText(event)}\n`) : println(terminal, describe(event))),
    });
    return exit === 'interrupted' ? EXIT.interrupted : EXIT.ok;
  } finally {
    interrupt?.dispose();
  }
}

function describe(event: WorkerEvent): string {
  switch (event.kind) {
    case 'waiting':
      return `worker: waiting for a live run on ${event.where}`;
    case 'joined':
      return `worker: joined run ${event.runId} with ${event.agentIds.join(', ')}`;
    case 'agent-ended':
      return event.reason === 'run-changed-hands'
        ? `worker: ${event.agentId} left run ${event.runId}: it changed hands`
        : `worker: ${event.agentId} left run ${event.runId}: ${event.reason}`;
    case 'rejoining':
      return `worker: ${event.agentId} joins run ${event.runId} again (the run had stopped it)`;
    case 'standby': {
      const where = event.holder.host === null ? `pid ${event.holder.pid}` : `pid ${event.holder.pid} on ${event.holder.host}`;
      return (
        `worker: ${event.agentId} is served by ${where} in run ${event.runId}; ` +
        `standing by to take it over if that process stops or is silent for ${(event.holder.staleAfterMs / 1000).toFixed(0)} s`
      );
    }
    case 'run-left':
      return `worker: run ${event.runId} is ${event.status}`;
  }
}
