import { loadTeamConfig, type TeamConfig } from '../../config/index.js';
import { StateMissingError, type LedgerCorruptedError } from '../../errors/index.js';
import { jsonText, plainStrings, plainText } from '../../observability/index.js';
import { RESUMABLE_RUN_STATUSES, TERMINAL_RUN_STATUSES, type LedgerEntry, type LedgerEvent, type RunStatus } from '../../state/index.js';
import { abandonedBecause, followRunLedger, missingTeamState, ownerLiveness, readRunLedger, withTeamStore } from '../../team/index.js';
import { formatEvent } from '../format-event.js';
import { interruptSignal } from '../interrupt.js';
import { QUIET_POLLS_BEFORE_STATE_CHECK } from './ledger-follow-rule.js';
import { println, type Terminal } from '../terminal.js';
import { storeChoice } from '../store-option.js';

/** Options of `agent-team ledger`. */
export interface LedgerCommandOptions {
  /** `--store`: the file store or a PostgreSQL URL (default: AGENT_TEAM_STORE, else the file store). */
  store?: string | undefined;
  config?: string | undefined;
  follow?: boolean | undefined;
  json?: boolean | undefined;
  all?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  signal?: AbortSignal | undefined;
}

/** `agent-team ledger`: prints the run ledger; `--follow` keeps printing until the run is over (see FOLLOW_END_RULE). */
export async function ledger(options: LedgerCommandOptions): Promise<number> {
  const { terminal } = options;
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd, ...storeChoice(options.store) });
  const print = (entry: LedgerEntry<LedgerEvent>): void => {
    if (options.json === true) {
      terminal.out.write(`${jsonText(entry)}\n`);
      return;
    }
    const plain = plainStrings(entry);
    const line = options.all === true && plain.type === 'model-call' ? modelCallLine(plain) : formatEvent(terminal, plain);
    if (line !== null) println(terminal, line);
  };
  const onSkippedLine = (error: LedgerCorruptedError): void => {
    terminal.err.write(`warning: ${error.message}; skipped\n`);
  };
  if (options.follow !== true) {
    // No run yet: the same answer as `status` (exit 4), not an empty ledger. A corrupt state still
    // lets the ledger print: it is what a person reads to find out what went wrong.
    if (!(await withTeamStore(config, (store) => store.exists()))) throw missingTeamState(config);
    for (const entry of await readRunLedger(config, { onSkippedLine })) print(entry);
    return 0;
  }
  const interrupt = options.signal === undefined ? interruptSignal() : undefined;
  // The last event, when it is a run-end a resume could still continue.
  let resumableEnd: { runId: string; status: string } | undefined;
  try {
    await followRunLedger(config, {
      signal: options.signal ?? interrupt?.signal,
      onSkippedLine,
      onEntry: (entry) => {
        print(entry);
        resumableEnd =
          entry.type === 'run-end' && RESUMABLE_RUN_STATUSES.has(entry.status as RunStatus)
            ? { runId: entry.runId, status: entry.status }
            : undefined;
      },
      until: (entry) =>
        entry.type === 'run-end' &&
        TERMINAL_RUN_STATUSES.has(entry.status as RunStatus) &&
        !RESUMABLE_RUN_STATUSES.has(entry.status as RunStatus),
      whenQuiet: async (quietPolls) => {
        if (quietPolls < QUIET_POLLS_BEFORE_STATE_CHECK) return false;
        if (resumableEnd !== undefined) return stillEnded(config, resumableEnd);
        // A run whose owner died (SIGKILL, a lost machine) writes no run-end: the state says it is over for now.
        const abandoned = await abandonedRun(config);
        if (abandoned !== null) println(terminal, `run ${abandoned.runId} stopped without an ending: ${plainText(abandoned.reason)}`);
        return abandoned !== null;
      },
    });
  } finally {
    interrupt?.dispose();
  }
  return 0;
}

/** The run in the state when nobody runs it although it says it is live (its owner is gone), with why; else null. */
async function abandonedRun(config: TeamConfig): Promise<{ runId: string; reason: string } | null> {
  // Asked while following: a database restart is waited out, not an error.
  const state = await withTeamStore(config, async (store) => ((await store.exists()) ? store.read() : null), { look: false });
  if (state === null) return null;
  const reason = abandonedBecause(state, new Date());
  return reason === null ? null : { runId: state.run.id, reason: `${reason}; continue with agent-team run --resume` };
}

/** Whether the state still shows the run ended as its last run-end said: no resume has taken it over. */
async function stillEnded(config: TeamConfig, end: { runId: string; status: string }): Promise<boolean> {
  try {
    const state = await withTeamStore(config, (store) => store.read(), { look: false });
    const owner = state.run.owner;
    if (owner !== null && ownerLiveness(owner, new Date()).live) return false;
    return state.run.id !== end.runId || state.run.status === end.status;
  } catch (error) {
    // The state is gone (cleaned up): nothing can resume that run.
    if (error instanceof StateMissingError) return true;
    throw error;
  }
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
