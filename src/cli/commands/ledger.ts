import { loadTeamConfig } from '../../config/index.js';
import { followLedger, readLedger, TERMINAL_RUN_STATUSES, type LedgerEntry, type LedgerEvent } from '../../state/index.js';
import { formatEvent } from '../format-event.js';
import { interruptSignal } from '../interrupt.js';
import { println, type Terminal } from '../terminal.js';

/** Options of `agent-team ledger`. */
export interface LedgerCommandOptions {
  config?: string | undefined;
  follow?: boolean | undefined;
  json?: boolean | undefined;
  all?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  signal?: AbortSignal | undefined;
}

/** `agent-team ledger`: prints the run ledger; `--follow` keeps printing until the run ends. */
export async function ledger(options: LedgerCommandOptions): Promise<number> {
  const { terminal } = options;
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd });
  const print = (entry: Parameters<typeof formatEvent>[1]): void => {
    if (options.json === true) {
      terminal.out.write(`${JSON.stringify(entry)}\n`);
      return;
    }
    const line = options.all === true && entry.type === 'model-call' ? modelCallLine(entry) : formatEvent(terminal, entry);
    if (line !== null) println(terminal, line);
  };
  if (options.follow !== true) {
    for (const entry of await readLedger<LedgerEvent>(config.ledgerFile)) print(entry);
    return 0;
  }
  const interrupt = options.signal === undefined ? interruptSignal() : undefined;
  try {
    await followLedger<LedgerEvent>({
      file: config.ledgerFile,
      signal: options.signal ?? interrupt?.signal,
      onEntry: print,
      until: (entry) => entry.type === 'run-end' && TERMINAL_RUN_STATUSES.has(entry.status as never),
    });
  } finally {
    interrupt?.dispose();
  }
  return 0;
}

/** One model call as `ledger --all` prints it: when, who, which model, for what, the tokens and the cost. */
function modelCallLine(call: LedgerEntry<Extract<LedgerEvent, { type: 'model-call' }>>): string {
  const task = call.taskId === null ? '' : ` ${call.taskId}`;
  const { usage } = call;
  const input = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  const time = call.at.slice(11, 19);
  const cost = call.costUsd.toFixed(5);
  return `${time} ${call.agentId} called ${call.model} (${call.purpose}${task}): ${input} in, ${usage.outputTokens} out, $${cost}`;
}
