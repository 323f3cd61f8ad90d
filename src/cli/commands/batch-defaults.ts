/** What `batch run` uses when neither a flag nor the task says otherwise; also stated in its `--help`. */
export const BATCH_DEFAULTS = { concurrency: 4, timeoutSeconds: 600, retries: 0 } as const;
