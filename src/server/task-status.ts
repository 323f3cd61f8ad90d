/** The service's status of a task, from its record, its team state and whether it runs here; and its history from the ledger. */
import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';
import { awaitsPerson, PLANNED_END_REASON } from '../team/index.js';
import type { ServiceTaskStatus } from './api-schemas.js';
import type { TaskSnapshot } from './task-runs.js';

/** One change of a task's status. */
export interface StatusChange {
  readonly status: ServiceTaskStatus;
  readonly at: string;
  readonly reason: string | null;
}

const DECIDED = { approve: 'approved', reject: 'rejected', withdraw: 'withdrawn' } as const;

/** The status a run's end stands for. */
function endStatus(status: string, reason: string): ServiceTaskStatus {
  if (status === 'done') return 'completed';
  if (status === 'failed') return 'failed';
  if (status === 'budget_exceeded') return 'budget_exceeded';
  if (reason === PLANNED_END_REASON) return 'planned';
  return reason.startsWith('cancelled') ? 'cancelled' : 'interrupted';
}

/** The statuses whose tasks change no more (their ledgers grow no more). */
export const FINAL_STATUSES: ReadonlySet<ServiceTaskStatus> = new Set(['completed', 'failed', 'cancelled']);

/** The task's status now. */
export function taskStatus(snapshot: TaskSnapshot): ServiceTaskStatus {
  const { record, state, active } = snapshot;
  if (state === null) return 'planning';
  const run = state.run;
  if (run.status === 'done') return 'completed';
  if (run.status === 'failed') return 'failed';
  if (record.cancelledAt !== null) return 'cancelled';
  if (active) return awaitsPerson(state) ? 'awaiting_approval' : 'running';
  if (run.status === 'planning') return 'planning';
  if (run.status === 'interrupted' || run.status === 'budget_exceeded') return endStatus(run.status, run.endReason ?? '');
  // Running in the store, not here: another process owns it, or its owner died without a word (then nobody does).
  return run.owner === null ? 'interrupted' : 'running';
}

/**
 * Every status the task went through: submitted (planning), then one change per run end and resume in its
 * ledger, and while a run executes, awaiting_approval from the first approval asked to the last one decided.
 */
export function statusHistory(receivedAt: string, ledger: readonly LedgerEntry<LedgerEvent>[]): StatusChange[] {
  const history: StatusChange[] = [{ status: 'planning', at: receivedAt, reason: null }];
  const pending = new Set<string>();
  let executing = false;
  const push = (change: StatusChange): void => {
    if (history.at(-1)?.status !== change.status) history.push(change);
  };
  for (const entry of ledger) {
    if (entry.type === 'run-resume') {
      executing = true;
      push({ status: pending.size > 0 ? 'awaiting_approval' : 'running', at: entry.at, reason: null });
    } else if (entry.type === 'run-end') {
      executing = false;
      history.push({ status: endStatus(entry.status, entry.reason), at: entry.at, reason: entry.reason });
    } else if (entry.type === 'approval-request') {
      pending.add(entry.approvalId);
      if (executing) push({ status: 'awaiting_approval', at: entry.at, reason: entry.question });
    } else if (entry.type === 'approval-decide') {
      pending.delete(entry.approvalId);
      if (executing && pending.size === 0)
        push({ status: 'running', at: entry.at, reason: `${entry.approvalId} ${DECIDED[entry.decision]} by ${entry.by}` });
    }
  }
  return history;
}

/** When the task stopped counting time: the run's end once it ended, else now. */
export function finishedAt(status: ServiceTaskStatus, state: TeamState | null, now: Date): Date {
  const ended = status !== 'running' && status !== 'awaiting_approval' && status !== 'planning' && state?.run.endedAt != null;
  return ended ? new Date(state?.run.endedAt as string) : now;
}
