/** The queue layer's public face: WorkerQueue, runAgents and the job types. It depends on no other layer. */
export type { JobContext, JobRecord, JobSpec, JobStatus } from './job.js';
export { runAgents, WorkerQueue, type WorkerQueueOptions } from './worker-queue.js';
