/**
 * agent-team's programmatic API: run a team, load its config, read its state and
 * ledger, build providers, run jobs on a bounded queue, and catch typed errors.
 */
export { runTeam, type RunTeamOptions, type RunTeamResult } from './team/index.js';
export { runAgent } from './team/index.js';
export { openTeamStore } from './team/index.js';
export { loadTeamConfig, parseAgentsConfig, parseOrchestratorConfig, type ResolvedAgent, type TeamConfig } from './config/index.js';
export { FileStore, readLedger, type FileStoreOptions } from './state/index.js';
export { followLedger } from './state/index.js';
export type { LedgerEntry, StateStore, UpdateContext } from './state/index.js';
export type { LedgerEvent, LedgerEventType } from './state/index.js';
export {
  TEAM_STATE_VERSION,
  teamStateSchema,
  type Blocker,
  type Task,
  type TaskStatus,
  type TeamState,
  type RunStatus,
} from './state/index.js';
export {
  addUsage,
  emptyUsage,
  totalTokens,
  type LlmProvider,
  type LlmRequest,
  type LlmResponse,
  type Message,
  type StopReason,
  type ToolCall,
  type ToolSpec,
  type Usage,
} from './providers/index.js';
export { createAnthropicProvider, type AnthropicProviderSettings } from './providers/index.js';
export { createOpenAIProvider, type OpenAIProviderSettings } from './providers/index.js';
export { createSimProvider, type SimProviderSettings } from './providers/index.js';
export { createCliProvider, CLI_PRESETS, type CliProviderSettings } from './providers/index.js';
export { createReplayProvider, withRecording } from './providers/index.js';
export { withRetries, RetriesExhaustedError, type RetryOptions } from './providers/index.js';
export { withThrottle, type ThrottleOptions } from './providers/index.js';
export { costOf, priceOf, priceTable, DEFAULT_PRICES, UnknownModelPriceError, type ModelPrice } from './cost/index.js';
export { runAgents, WorkerQueue, type WorkerQueueOptions } from './queue/index.js';
export type { JobContext, JobRecord, JobSpec, JobStatus } from './queue/index.js';
export {
  AgentStoppedError,
  AgentTeamError,
  BudgetExceededError,
  ConfigError,
  DataFileError,
  InvalidModelOutputError,
  LedgerCorruptedError,
  LockLostError,
  LockTimeoutError,
  ProviderError,
  RunInterruptedError,
  StateCorruptedError,
  StateMissingError,
  UsageError,
  type ConfigIssue,
  type ProviderFailure,
} from './errors/index.js';
