/** The errors the service answers with: an HTTP status, a stable code and, for invalid requests, the fields at fault. */
import { AgentTeamError } from '../errors/index.js';

/** One field of a request that is wrong: its dot path and what is wrong with it. */
export interface FieldIssue {
  readonly field: string;
  readonly issue: string;
}

/** HTTP statuses the service answers errors with. */
export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 500 | 501 | 503;

/** A subtask no agent can take (503 agent_unavailable): its id, its role and why. */
export interface UnavailableSubtask {
  readonly subtask_id: string;
  readonly role: string;
  readonly reason: string;
}

/** An error a request gets as its answer: `{ error: { code, message, fields?, subtasks? } }` with `status`. */
export class ServiceError extends AgentTeamError {
  readonly status: ErrorStatus;
  readonly fields: readonly FieldIssue[] | undefined;
  readonly subtasks: readonly UnavailableSubtask[] | undefined;

  constructor(input: {
    status: ErrorStatus;
    code: string;
    message: string;
    fields?: readonly FieldIssue[];
    subtasks?: readonly UnavailableSubtask[];
    cause?: unknown;
  }) {
    super(input.code, input.message, { cause: input.cause });
    this.status = input.status;
    this.fields = input.fields;
    this.subtasks = input.subtasks;
  }

  /** The JSON body of the answer. */
  body(): {
    error: { code: string; message: string; fields?: readonly FieldIssue[]; subtasks?: readonly UnavailableSubtask[] };
  } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.fields === undefined ? {} : { fields: this.fields }),
        ...(this.subtasks === undefined ? {} : { subtasks: this.subtasks }),
      },
    };
  }
}

/** A 404 for a task id the service has never been given. */
export function unknownTask(taskId: string): ServiceError {
  return new ServiceError({
    status: 404,
    code: 'task_not_found',
    message: `No task "${taskId}": submit it first with POST /orchestrate.`,
  });
}

/** The 409 of a task whose run is over. */
export function taskEnded(taskId: string, status: 'done' | 'failed'): ServiceError {
  return new ServiceError({
    status: 409,
    code: 'task_ended',
    message: `Task "${taskId}" already ended (${status === 'done' ? 'completed' : 'failed'}); submit a new task_id to run it again.`,
  });
}
