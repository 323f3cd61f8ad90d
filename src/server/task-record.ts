/** What the service keeps of each task besides its team run: the request it was submitted with and what callers asked since. */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from '@hono/zod-openapi';
import { DataFileError, StateCorruptedError } from '../errors/index.js';
import { readDataFile, writeJsonFileAtomic } from '../files/index.js';
import { orchestrateRequestSchema } from './api-schemas.js';
import { taskDirectory } from './task-config.js';

const RECORD_VERSION = 1;

const taskRecordSchema = z.object({
  version: z.literal(RECORD_VERSION),
  request: orchestrateRequestSchema,
  receivedAt: z.string(),
  /** Each POST /execute that started or resumed the run. */
  executions: z.array(z.object({ mode: z.enum(['auto', 'manual']), at: z.string() })),
  /** Set by POST /tasks/{id}/cancel; a cancelled task is not executed again. */
  cancelledAt: z.string().nullable(),
});
/** The service's record of one task. */
export type TaskRecord = z.infer<typeof taskRecordSchema>;

function recordFile(dataDir: string, taskId: string): string {
  return join(taskDirectory(dataDir, taskId), 'request.json');
}

/** Reads a task's record, or null when the task was never submitted; a damaged record is a StateCorruptedError. */
export async function readTaskRecord(dataDir: string, taskId: string): Promise<TaskRecord | null> {
  const file = recordFile(dataDir, taskId);
  try {
    return (await readDataFile({ file, format: 'json', schema: taskRecordSchema })) ?? null;
  } catch (error) {
    if (error instanceof DataFileError) throw new StateCorruptedError({ file, problem: error.message, cause: error });
    throw error;
  }
}

/** Writes a task's record atomically (the task's directory is created when missing). */
export async function writeTaskRecord(dataDir: string, record: TaskRecord): Promise<void> {
  await mkdir(taskDirectory(dataDir, record.request.task_id), { recursive: true });
  await writeJsonFileAtomic(recordFile(dataDir, record.request.task_id), record);
}

/** A new task's record. */
export function newTaskRecord(request: TaskRecord['request'], now: Date): TaskRecord {
  return { version: RECORD_VERSION, request, receivedAt: now.toISOString(), executions: [], cancelledAt: null };
}

/** Forgets a task whose planning never started (its run was refused before any state was written), so it can be submitted again. */
export async function removeTaskRecord(dataDir: string, taskId: string): Promise<void> {
  await rm(taskDirectory(dataDir, taskId), { recursive: true, force: true });
}
