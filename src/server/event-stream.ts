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

/** The sequence number to resume after: Last-Event-ID, else `?after=`, else 0 (from the start). */
export function resumeAfter(context: Context): number {
  const given = context.req.header('last-event-id') ?? context.req.query('after');
  if (given === undefined || given.trim() === '') return 0;
  if (!/^\d{1,15}$/.test(given.trim())) {
    throw new ServiceError({
      status: 400,
      code: 'invalid_request',
      message: 'Last-Event-ID (or ?after=) must be the sequence number of an event received before.',
      fields: [{ field: 'Last-Event-ID', issue: `expected a non-negative integer, found "${given.slice(0, 40)}"` }],
    });
  }
  return Number(given.trim());
}

/**
 * Streams the task's ledger from after `after`, live, until the client goes away or the task is over
 * (ended and not running here); a task planned but not executed yet keeps its stream open.
 */
export function streamTaskEvents(input: {
  context: Context;
  runs: TaskRuns;
  taskId: string;
  after: number;
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
    const send = (entry: LedgerEntry<LedgerEvent>): void => {
      if (entry.seq <= last) return;
      last = entry.seq;
      writing = writing
        .then(() => stream.writeSSE({ id: String(entry.seq), event: entry.type, data: JSON.stringify(scrub(entry)) }))
        // The client went away mid-write: stop following.
        .catch(() => stop.abort());
    };
    const over = async (): Promise<boolean> => {
      if (runs.isActive(taskId)) return false;
      const status = taskStatus(await runs.snapshot(taskId));
      return status !== 'planned' && status !== 'planning' && status !== 'running';
    };
    try {
      await followRunLedger(config, { onEntry: send, signal: stop.signal, pollMs: POLL_MS, whenQuiet: over });
      // What was written between the last look and the decision that the task is over is still sent.
      if (!stop.signal.aborted) for (const entry of await readRunLedger(config)) send(entry);
      await writing;
    } finally {
      context.req.raw.signal.removeEventListener('abort', onClientGone);
    }
  });
}
