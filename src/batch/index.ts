/** The batch layer's public face: tasks in, one queue job each, a run directory out. */
export * from './batch-runner.js';
export * from './batch-status.js';
export * from './batch-summary.js';
export * from './batch-tasks.js';
export * from './collect.js';
export { BATCH_JOB_STATUSES, batchJobRecordSchema, readJobRecord, readJobRecords, type BatchJobRecord, type BatchJobStatus } from './job-files.js';
export { checkOutput, compileOutputSchema, type OutputCheck } from './output-schema.js';
export * from './run-directory.js';
export { BatchOutputInvalidError, type BatchAgent } from './run-job.js';
export * from './task-sources.js';
