/** The queue layer's public face: WorkerQueue, runAgents, the job types and the queue's errors. It depends only on errors/. */
export type { JobContext, JobRecord, JobSpec, JobStatus } from './job.js';
export { WakeUp } from './wake-up.js';
export { runAgents, WorkerQueue, type WorkerQueueOptions } from './worker-queue.js';
