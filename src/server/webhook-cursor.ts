/** How far each task's webhook events were taken into the outbox: one small file per task, written after its events. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from '@hono/zod-openapi';
import { DataFileError } from '../errors/index.js';
import { readDataFile, writeJsonFileAtomic } from '../files/index.js';
import { getLogger } from '../observability/index.js';
import { webhooksDirectory } from './webhook-outbox.js';
import type { TaskEventsCursor } from './webhook-task-events.js';

const log = getLogger('webhooks');

const CURSOR_VERSION = 1;

const cursorSchema = z.object({
  version: z.literal(CURSOR_VERSION),
  /** The submission the cursor belongs to: a task submitted again after a refused plan starts over. */
  receivedAt: z.string(),
  statusChanges: z.number().int().nonnegative(),
  subtasksAfter: z.object({ seq: z.number().int(), index: z.number().int() }).nullable(),
});

/** The folder of the cursors: absent until webhooks first ran on this data directory. */
export function cursorsDirectory(dataDir: string): string {
  return join(webhooksDirectory(dataDir), 'cursors');
}

function cursorFile(dataDir: string, taskId: string): string {
  return join(cursorsDirectory(dataDir), `${taskId}.json`);
}

/**
 * The task's cursor, or null when none was written for this submission. A damaged one counts as none:
 * the task's events are found again with the same ids, and receivers deduplicate them.
 */
export async function readCursor(input: { dataDir: string; taskId: string; receivedAt: string }): Promise<TaskEventsCursor | null> {
  const file = cursorFile(input.dataDir, input.taskId);
  try {
    const cursor = await readDataFile({ file, format: 'json', schema: cursorSchema });
    if (cursor === undefined || cursor.receivedAt !== input.receivedAt) return null;
    return { statusChanges: cursor.statusChanges, subtasksAfter: cursor.subtasksAfter };
  } catch (error) {
    if (!(error instanceof DataFileError)) throw error;
    log.warn('webhook cursor is damaged; the task events are found again (same ids)', { taskId: input.taskId, error: String(error) });
    return null;
  }
}

/** Writes the task's cursor durably. */
export async function writeCursor(input: { dataDir: string; taskId: string; receivedAt: string; cursor: TaskEventsCursor }): Promise<void> {
  await mkdir(cursorsDirectory(input.dataDir), { recursive: true });
  await writeJsonFileAtomic(cursorFile(input.dataDir, input.taskId), {
    version: CURSOR_VERSION,
    receivedAt: input.receivedAt,
    ...input.cursor,
  });
}
