/** Errors of the WorkerQueue: what a caller did that the queue cannot accept. */
import { AgentTeamError } from '../errors/index.js';

/** `submit()` after `close()`, or a submit still waiting for room when the queue closed. */
export class QueueClosedError extends AgentTeamError {
  constructor() {
    super(
      'queue_closed',
      'WorkerQueue is closed: it accepts no more jobs. Submit before calling close() or disposing the queue, or create a new queue.',
    );
  }
}

/** A job was submitted with the id of a job the queue still knows. */
export class DuplicateJobIdError extends AgentTeamError {
  readonly jobId: string;

  constructor(jobId: string) {
    super(
      'queue_duplicate_job_id',
      `A job with id "${jobId}" is already in this queue. Give each job a unique id, or leave \`id\` out to get a generated one.`,
    );
    this.jobId = jobId;
  }
}
