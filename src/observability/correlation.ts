import { AsyncLocalStorage } from 'node:async_hooks';

/** What a log line and a span are about: the service task, the subtask (a task of its plan) and the team run, where known. */
export interface Correlation {
  readonly taskId?: string | undefined;
  readonly subtaskId?: string | undefined;
  readonly runId?: string | undefined;
}

// One store for the process: the service's routes, a run and its agents each add what they know.
const store = new AsyncLocalStorage<Correlation>();

/** Runs `fn` with `fields` added to the current correlation (unset fields keep the outer value). */
export function withCorrelation<T>(fields: Correlation, fn: () => T): T {
  const outer = store.getStore() ?? {};
  const inner: Correlation = {
    taskId: fields.taskId ?? outer.taskId,
    subtaskId: fields.subtaskId ?? outer.subtaskId,
    runId: fields.runId ?? outer.runId,
  };
  return store.run(inner, fn);
}

/**
 * Adds fields to the current correlation in place (outside any, nothing happens): the code that opened
 * it sees them too, e.g. a request's log line once its handler has read the task_id from the body.
 */
export function annotateCorrelation(fields: Correlation): void {
  const current = store.getStore() as { -readonly [K in keyof Correlation]: Correlation[K] } | undefined;
  if (current === undefined) return;
  if (fields.taskId !== undefined) current.taskId = fields.taskId;
  if (fields.subtaskId !== undefined) current.subtaskId = fields.subtaskId;
  if (fields.runId !== undefined) current.runId = fields.runId;
}

/** The correlation of the code running now (empty outside any). */
export function currentCorrelation(): Correlation {
  return store.getStore() ?? {};
}

/** The correlation as log fields, snake_case as the service's API spells them; unknown ones left out. */
export function correlationFields(correlation: Correlation = currentCorrelation()): Record<string, string> {
  const fields: Record<string, string> = {};
  if (correlation.taskId !== undefined) fields['task_id'] = correlation.taskId;
  if (correlation.subtaskId !== undefined) fields['subtask_id'] = correlation.subtaskId;
  if (correlation.runId !== undefined) fields['run_id'] = correlation.runId;
  return fields;
}
