import { loadTeamConfig } from '../../config/index.js';
import { LEASE_ENV, runAgent } from '../../team/index.js';
import { startTracing, stopTracing, withTraceParentFromEnv } from '../../observability/index.js';
import { EXIT } from '../exit-codes.js';
import { interruptSignal } from '../interrupt.js';
import { packageVersion } from '../package-version.js';
import { println, type Terminal } from '../terminal.js';
import { storeChoice } from '../store-option.js';

/** Options of `agent-team agent`. */
export interface AgentCommandOptions {
  /** `--store`: the file store or a PostgreSQL URL (default: AGENT_TEAM_STORE, else the file store). */
  store?: string | undefined;
  id: string;
  config?: string | undefined;
  cwd: string;
  terminal: Terminal;
  signal?: AbortSignal | undefined;
}

/** `agent-team agent --id X`: one role agent as its own process, on the run in the state file. */
export async function agent(options: AgentCommandOptions): Promise<number> {
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, ...storeChoice(options.store) });
  // Started by a supervisor (`run --processes`) with an IPC channel, which closes when the parent dies, however it died.
  const supervised = process.send !== undefined;
  // A parent that died while this process was still starting closed the channel before anyone listened: no
  // 'disconnect' is left to come (and process.channel is null). Such an agent has nobody to work for.
  if (supervised && !process.connected) {
    println(options.terminal, `${options.id}: interrupted (the process that started it is gone)`);
    return EXIT.interrupted;
  }
  const interrupt = options.signal === undefined ? interruptSignal({ everyEnding: true }) : undefined;
  const orphaned = (): void => {
    process.kill(process.pid, 'SIGTERM');
  };
  if (supervised) {
    process.channel?.unref();
    process.once('disconnect', orphaned);
  }
  try {
    const lease = process.env[LEASE_ENV] === undefined || process.env[LEASE_ENV] === '' ? undefined : process.env[LEASE_ENV];
    // Started by `run --processes` with tracing on, TRACEPARENT puts this agent's spans in the run's trace.
    await startTracing({ serviceVersion: packageVersion });
    const reason = await withTraceParentFromEnv(() =>
      runAgent({ config, agentId: options.id, lease, signal: options.signal ?? interrupt?.signal }),
    );
    println(options.terminal, `${options.id}: ${reason}`);
    return reason === 'interrupted' ? EXIT.interrupted : reason === 'budget-exceeded' ? EXIT.budgetExceeded : EXIT.ok;
  } finally {
    await stopTracing();
    process.off('disconnect', orphaned);
    interrupt?.dispose();
  }
}
