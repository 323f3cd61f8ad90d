/** The errors the service answers with: an HTTP status, a stable code and, for invalid requests, the fields at fault. */
import { AgentTeamError } from '../errors/index.js';

/** One field of a request that is wrong: its dot path and what is wrong with it. */
export interface FieldIssue {
  readonly field: string;
  readonly issue: string;
}

/** HTTP statuses the service answers errors with. */
export type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 500 | 501 | 503;

/** An error a request gets as its answer: `{ error: { code, message, fields? } }` with `status`. */
export class ServiceError extends AgentTeamError {
  readonly status: ErrorStatus;
  readonly fields: readonly FieldIssue[] | undefined;

  constructor(input: { status: ErrorStatus; code: string; message: string; fields?: readonly FieldIssue[]; cause?: unknown }) {
    super(input.code, input.message, { cause: input.cause });
    this.status = input.status;
    this.fields = input.fields;
  }

  /** The JSON body of the answer. */
  body(): { error: { code: string; message: string; fields?: readonly FieldIssue[] } } {
    return { error: { code: this.code, message: this.message, ...(this.fields === undefined ? {} : { fields: this.fields }) } };
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
