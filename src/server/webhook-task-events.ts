/**
 * The webhook events of one task, derived from what the store holds (its record and its run ledger), so a
 * change made by any process is seen; the same inputs always give the same events with the same ids.
 */
import type { LedgerEntry, LedgerEvent, TeamState } from '../state/index.js';
import type { Subtask } from './api-schemas.js';
import type { TaskRecord } from './task-record.js';
import { type StatusChange, statusHistory } from './task-status.js';
import { subtaskId } from '../team/index.js';
import { type WebhookEvent, webhookEventId } from './webhook-event.js';

/** An entry's place in the ledger: its update's sequence number and its index among that update's entries (as the event stream numbers them). */
export interface LedgerPosition {
  readonly seq: number;
  readonly index: number;
}

/** How far a task's events were taken: status changes by count, subtask changes by ledger position. */
export interface TaskEventsCursor {
  readonly statusChanges: number;
  readonly subtasksAfter: LedgerPosition | null;
}

/** A task none of whose events were taken yet. */
export const START_CURSOR: TaskEventsCursor = { statusChanges: 0, subtasksAfter: null };

/**
 * Every status the task went through, each once in a row: the ledger's history, and a cancellation from the
 * record (a task cancelled while not running here has no ledger entry for it). A run that ended done or
 * failed after a cancel request still ends as it ended, as GET /tasks says.
 */
export function statusChanges(record: TaskRecord, ledger: readonly LedgerEntry<LedgerEvent>[]): StatusChange[] {
  let history = statusHistory(record.receivedAt, ledger);
  if (record.cancelledAt !== null) {
    const cancelledAt = Date.parse(record.cancelledAt);
    const before = history.filter((change) => Date.parse(change.at) <= cancelledAt);
    const ended = history.find(
      (change) => Date.parse(change.at) > cancelledAt && (change.status === 'completed' || change.status === 'failed'),
    );
    history = [...before, ended ?? { status: 'cancelled', at: record.cancelledAt, reason: 'cancelled by POST /tasks/{task_id}/cancel' }];
  }
  const changes: StatusChange[] = [];
  for (const change of history) if (changes.at(-1)?.status !== change.status) changes.push(change);
  return changes;
}

/** The state a ledger entry puts its subtask in, or null for an entry that changes no subtask's state. */
function subtaskStateAfter(entry: LedgerEvent): Subtask['state'] | null {
  switch (entry.type) {
    case 'task-ready':
    case 'task-release':
      return 'ready';
    case 'task-claim':
      return 'running';
    case 'blocker-raise':
      return 'blocked';
    case 'task-review':
      return 'review';
    case 'task-end':
      return entry.status === 'done' ? 'completed' : entry.status;
    default:
      return null;
  }
}

function isAfter(position: LedgerPosition, mark: LedgerPosition | null): boolean {
  return mark === null || position.seq > mark.seq || (position.seq === mark.seq && position.index > mark.index);
}

/** The events of `record`'s task not taken yet by `cursor`, and the cursor past them. */
export function taskEvents(input: {
  record: TaskRecord;
  ledger: readonly LedgerEntry<LedgerEvent>[];
  state: TeamState | null;
  cursor: TaskEventsCursor;
}): { events: WebhookEvent[]; cursor: TaskEventsCursor } {
  const { record, ledger, state, cursor } = input;
  const taskId = record.request.task_id;
  const runId = state?.run.id ?? null;
  const id = (key: readonly (string | number)[]): string => webhookEventId({ taskId, receivedAt: record.receivedAt, key });
  const events: WebhookEvent[] = [];
  const changes = statusChanges(record, ledger);
  changes.forEach((change, index) => {
    if (index < cursor.statusChanges) return;
    events.push({
      event_id: id(['status', index, change.status]),
      type: 'task.status_changed',
      task_id: taskId,
      run_id: runId,
      status: change.status,
      previous_status: changes[index - 1]?.status ?? null,
      reason: change.reason,
      at: change.at,
    });
  });
  const roles = new Map((state?.tasks ?? []).map((task) => [task.id, task.role]));
  const states = new Map<string, Subtask['state']>();
  let position: LedgerPosition | null = cursor.subtasksAfter;
  let seq = -1;
  let index = -1;
  for (const entry of ledger) {
    index = entry.seq === seq ? index + 1 : 0;
    seq = entry.seq;
    const next = subtaskStateAfter(entry);
    if (next === null || !('taskId' in entry) || entry.taskId === null) continue;
    const previous = states.get(entry.taskId) ?? 'pending';
    if (next === previous) continue;
    states.set(entry.taskId, next);
    const here = { seq, index };
    if (!isAfter(here, cursor.subtasksAfter)) continue;
    position = here;
    const role = roles.get(entry.taskId) ?? 'unknown';
    events.push({
      event_id: id(['subtask', seq, index]),
      type: 'subtask.state_changed',
      task_id: taskId,
      run_id: runId,
      at: entry.at,
      subtask: {
        subtask_id: subtaskId(taskId, { id: entry.taskId, role }),
        role,
        agent: 'agentId' in entry ? entry.agentId : null,
        state: next,
        previous_state: previous,
      },
    });
  }
  return { events, cursor: { statusChanges: Math.max(cursor.statusChanges, changes.length), subtasksAfter: position } };
}
