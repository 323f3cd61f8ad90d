/**
 * GET /tasks/{task_id}/events: the task's ledger as server-sent events, each with the entry's sequence
 * number as its id, so a client reconnecting with Last-Event-ID gets exactly the entries after it.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { LedgerEntry, LedgerEvent } from '../state/index.js';
import { followRunLedger, readRunLedger } from '../team/index.js';
import { ServiceError } from './service-error.js';
import type { TaskRuns } from './task-runs.js';
import { taskStatus } from './task-status.js';

/** How often the stream looks for new entries when nothing woke it (the file store also wakes on writes). */
const POLL_MS = 250;

/** A stream with nothing new asks whether its task is over on the first quiet poll, then every this many. */
const STATUS_EVERY_POLLS = 8;

/**
 * Where a stream resumes: after the entry numbered `index` among those of ledger sequence number `seq`.
 * Entries written by one update share its `seq`, so an event id is `<seq>.<index>`; a plain `<seq>` resumes after all of that seq.
 */
export interface StreamPosition {
  readonly seq: number;
  readonly index: number;
}

/** The position to resume after: Last-Event-ID, else `?after=`, else the start. A malformed one is a 400. */
export function resumeAfter(context: Context): StreamPosition {
  const given = (context.req.header('last-event-id') ?? context.req.query('after'))?.trim();
  if (given === undefined || given === '') return { seq: 0, index: Number.POSITIVE_INFINITY };
  const match = /^(\d{1,15})(?:\.(\d{1,9}))?$/.exec(given);
  if (match === null) {
    throw new ServiceError({
      status: 400,
      code: 'invalid_request',
      message: 'Last-Event-ID (or ?after=) must be the id of an event received before: <seq>.<index>, or a ledger sequence number.',
      fields: [{ field: 'Last-Event-ID', issue: `expected <seq>.<index> or <seq>, found "${given.slice(0, 40)}"` }],
    });
  }
  return { seq: Number(match[1]), index: match[2] === undefined ? Number.POSITIVE_INFINITY : Number(match[2]) };
}

/** Numbers the entries of one pass over the ledger: each gets its position (seq, index among the entries of its seq). */
function positions(): (entry: LedgerEntry<LedgerEvent>) => StreamPosition {
  let seq = -1;
  let index = -1;
  return (entry) => {
    index = entry.seq === seq ? index + 1 : 0;
    seq = entry.seq;
    return { seq, index };
  };
}

function isAfter(position: StreamPosition, mark: StreamPosition): boolean {
  return position.seq > mark.seq || (position.seq === mark.seq && position.index > mark.index);
}

/**
 * Streams the task's ledger from after `after`, live, until the client goes away or the task is over
 * (ended and not running here); a task planned but not executed yet keeps its stream open.
 */
export function streamTaskEvents(input: {
  context: Context;
  runs: TaskRuns;
  taskId: string;
  after: StreamPosition;
  scrub: <T>(value: T) => T;
}): Response {
  const { context, runs, taskId, scrub } = input;
  const config = runs.configFor(taskId);
  return streamSSE(context, async (stream) => {
    const stop = new AbortController();
    const onClientGone = (): void => stop.abort();
    stream.onAbort(onClientGone);
    context.req.raw.signal.addEventListener('abort', onClientGone, { once: true });
    let last = input.after;
    let writing: Promise<void> = Promise.resolve();
    const sender = (): ((entry: LedgerEntry<LedgerEvent>) => void) => {
      const positionOf = positions();
      return (entry) => {
        const position = positionOf(entry);
        if (!isAfter(position, last)) return;
        last = position;
        const id = `${position.seq}.${position.index}`;
        writing = writing
          .then(() => stream.writeSSE({ id, event: entry.type, data: JSON.stringify(scrub(entry)) }))
          // The client went away mid-write: stop following.
          .catch(() => stop.abort());
      };
    };
    const over = async (quietPolls: number): Promise<boolean> => {
      // Reading the status opens the store (a connection on PostgreSQL): a waiting stream asks every few polls only.
      if (runs.isActive(taskId) || quietPolls % STATUS_EVERY_POLLS !== 1) return false;
      const status = taskStatus(await runs.snapshot(taskId));
      return status !== 'planned' && status !== 'planning' && status !== 'running' && status !== 'awaiting_approval';
    };
    try {
      await followRunLedger(config, { onEntry: sender(), signal: stop.signal, pollMs: POLL_MS, whenQuiet: over });
      // What was written between the last look and the decision that the task is over is still sent.
      if (!stop.signal.aborted) {
        const send = sender();
        for (const entry of await readRunLedger(config)) send(entry);
      }
      await writing;
    } finally {
      context.req.raw.signal.removeEventListener('abort', onClientGone);
    }
  });
}
