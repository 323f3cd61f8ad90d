import type { TeamConfig } from '../config/index.js';
import type { LedgerEntry, LedgerEvent } from '../state/index.js';
import { followRunLedger } from '../team/index.js';
import { formatEvent } from './format-event.js';
import { fitWidth } from './fit-width.js';
import { paint, screenSize, type Terminal } from './terminal.js';

/** Live counters of a run, folded from its ledger. */
interface Counters {
  tasks: Set<string>;
  done: number;
  failed: number;
  /** Workspace runs: tasks at their gates or waiting for their merge. */
  inReview: Set<string>;
  openBlockers: number;
  tokens: number;
  costUsd: number;
}

function fold(counters: Counters, entry: LedgerEntry<LedgerEvent>): void {
  switch (entry.type) {
    case 'plan-create':
      for (const id of entry.taskIds) counters.tasks.add(id);
      break;
    case 'task-create':
      counters.tasks.add(entry.taskId);
      break;
    case 'task-end':
      counters.inReview.delete(entry.taskId);
      if (entry.status === 'done') counters.done += 1;
      else counters.failed += 1;
      break;
    case 'task-review':
      counters.inReview.add(entry.taskId);
      break;
    case 'task-merge':
    case 'task-release':
      counters.inReview.delete(entry.taskId);
      break;
    case 'blocker-raise':
      counters.openBlockers += 1;
      break;
    case 'blocker-resolve':
      counters.openBlockers -= 1;
      break;
    case 'model-call':
      counters.tokens += entry.usage.inputTokens + entry.usage.outputTokens + entry.usage.cacheReadTokens + entry.usage.cacheWriteTokens;
      counters.costUsd += entry.costUsd;
      break;
    default:
      break;
  }
}

/**
 * Shows a run as it happens by following its ledger: one line per event, and on a
 * TTY a status line redrawn in place (tasks done/total, open blockers, tokens, cost).
 * A bad ledger line is skipped with one warning on stderr.
 */
export function showProgress(input: {
  terminal: Terminal;
  /** The team whose ledger to follow (the file beside the state file, or the run's rows in PostgreSQL). */
  config: TeamConfig;
  signal: AbortSignal;
  fromEnd?: boolean | undefined;
}): Promise<void> {
  const { terminal } = input;
  const counters: Counters = { tasks: new Set(), done: 0, failed: 0, inReview: new Set(), openBlockers: 0, tokens: 0, costUsd: 0 };
  const started = Date.now();
  let statusShown = false;
  // The status line fits one screen row: a line that wraps cannot be redrawn in place, and each redraw would leave
  // a stale copy behind. Parts are dropped from the least useful (elapsed time) before the line is cut.
  const status = (): string => {
    const columns = screenSize(terminal).columns - 1;
    const parts = [
      `tasks ${counters.done}/${counters.tasks.size} done${counters.inReview.size > 0 ? `, ${counters.inReview.size} in review` : ''}` +
        `${counters.failed > 0 ? `, ${counters.failed} failed` : ''}`,
      `$${counters.costUsd.toFixed(4)}`,
      `${counters.openBlockers} open blocker(s)`,
      `${(counters.tokens / 1000).toFixed(1)}k tokens`,
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
    ];
    let shown = parts.length;
    while (shown > 1 && parts.slice(0, shown).join(' · ').length > columns) shown -= 1;
    return paint(terminal, 'bold', fitWidth(parts.slice(0, shown).join(' · '), columns));
  };
  const clearStatus = (): void => {
    if (statusShown) terminal.out.write('\r\u001b[2K');
    statusShown = false;
  };
  const drawStatus = (): void => {
    if (!terminal.isTty) return;
    clearStatus();
    terminal.out.write(status());
    statusShown = true;
  };
  const ticker = terminal.isTty ? setInterval(drawStatus, 250) : undefined;
  ticker?.unref();
  return followRunLedger(input.config, {
    signal: input.signal,
    pollMs: input.config.store.kind === 'file' ? 200 : 1000,
    fromEnd: input.fromEnd,
    // Another process may have written a bad line: the view goes on without it.
    onSkippedLine: (error) => {
      clearStatus();
      terminal.err.write(`warning: ${error.message}; skipped\n`);
      drawStatus();
    },
    onEntry: (entry) => {
      fold(counters, entry);
      const line = formatEvent(terminal, entry);
      if (line === null) return;
      clearStatus();
      terminal.out.write(`${line}\n`);
      drawStatus();
    },
  }).finally(() => {
    if (ticker !== undefined) clearInterval(ticker);
    clearStatus();
  });
}
