/** The batch layer's public face: tasks in, one queue job each, a run directory out. */
export { type BatchEvent, runBatch } from './batch-runner.js';
export { batchStatus, type BatchStatusReport } from './batch-status.js';
export type { BatchSummary } from './batch-summary.js';
export type { BatchTaskInput } from './batch-tasks.js';
export { collectBatch } from './collect.js';
export { loadCsvTasks, loadTasksFile, readStreamText, tasksFromLines } from './task-sources.js';
