import { loadTeamConfig } from '../../config/index.js';
import { runAgent } from '../../team/index.js';
import { EXIT } from '../exit-codes.js';
import { interruptSignal } from '../interrupt.js';
import { println, type Terminal } from '../terminal.js';

/** Options of `agent-team agent`. */
export interface AgentCommandOptions {
  id: string;
  config?: string | undefined;
  cwd: string;
  terminal: Terminal;
  signal?: AbortSignal | undefined;
}

/** `agent-team agent --id X`: one role agent as its own process, on the run in the state file. */
export async function agent(options: AgentCommandOptions): Promise<number> {
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd });
  const interrupt = options.signal === undefined ? interruptSignal() : undefined;
  try {
    const reason = await runAgent({ config, agentId: options.id, signal: options.signal ?? interrupt?.signal });
    println(options.terminal, `${options.id}: ${reason}`);
    return reason === 'interrupted' ? EXIT.interrupted : reason === 'budget-exceeded' ? EXIT.budgetExceeded : EXIT.ok;
  } finally {
    interrupt?.dispose();
  }
}
