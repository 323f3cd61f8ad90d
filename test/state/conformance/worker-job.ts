/** The line a worker process prints once a job is over and it is ready for the next one. */
export const JOB_END = 'job-end';

/** The stores the conformance suite runs on. */
export type StoreKind = 'file' | 'postgres';

/** What a conformance worker process is asked to do (see store-worker.ts). */
export interface WorkerJob {
  mode: 'claim' | 'budget' | 'increment' | 'hang';
  /** Which store is under test: its opener's `openStore(location)` opens it. */
  opener: StoreKind;
  /** JSON that locates the store: a file path, a connection URL. */
  location: unknown;
  /** The project whose orchestrator-config.json gives the roster. */
  projectDir: string;
  agentId: string;
  /** claim: run the resume step first. */
  resume?: boolean;
  /** claim: stop after this many claims and wait to be killed. */
  limit?: number;
  /** increment: how many updates. */
  count?: number;
  /** budget: the worst case of one call in tokens. */
  worstTokens?: number;
}
