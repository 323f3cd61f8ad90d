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
