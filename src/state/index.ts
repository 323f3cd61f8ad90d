/** The state layer's public face: the team state schema, the StateStore contract, the file store and the PostgreSQL store. */
export { FileStore, type FileStoreOptions } from './file-store.js';
export { ledgerEventSchema } from './ledger-event-schema.js';
export type { LedgerEvent, LedgerEventType } from './ledger-events.js';
export { readLedger, resetLedger } from './ledger-file.js';
export { LedgerFileReader } from './ledger-reader.js';
export { followLedger } from './ledger-tail.js';
export type { LedgerEntry, StateStore, UpdateContext, WatchScope } from './store.js';
export type {
  AgentLook,
  AgentRegistration,
  BeatOutcome,
  ClaimOutcome,
  DoneReport,
  ModelsBySize,
  RegisterOutcome,
  ReportOutcome,
  SpendSettlement,
  TaskGrant,
  TaskTransitions,
  TransitionAgent,
  TransitionRefusal,
} from './task-transitions.js';
export { dependencyOrder, findCycle, longestChains, type SizedTask, sameSizedGraph, TASK_WEIGHT, taskLevels } from './task-graph.js';
export { changedPlaces } from './postgres-snapshot.js';
export { plainList, settledSince, unsettledPlaces } from './tracked-list.js';
export {
  type AgentState,
  type Approval,
  type Blocker,
  complexitySchema,
  type GateVerdict,
  RESUMABLE_RUN_STATUSES,
  type RunExecution,
  type RunOptions,
  type RunOwner,
  type RunStatus,
  type Task,
  type TaskHold,
  type TaskStatus,
  TEAM_STATE_VERSION,
  type TeamState,
  teamStateSchema,
  TERMINAL_RUN_STATUSES,
  TERMINAL_TASK_STATUSES,
} from './team-state.js';
export type { PostgresRetry } from './postgres-connections.js';
export { DEFAULT_POSTGRES_POLL_INTERVAL_MS, PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { isPostgresUrl, redactPostgresUrl } from './postgres-url.js';
