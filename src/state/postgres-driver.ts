/** The `pg` driver, imported on first use: a run on the file store never loads it. */
import type pg from 'pg';

let loading: Promise<typeof pg> | undefined;

/** The driver module, imported once per process. */
export function loadPg(): Promise<typeof pg> {
  loading ??= import('pg').then((module) => module.default);
  return loading;
}
