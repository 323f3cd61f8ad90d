/** The team layer's public face: run a team or one of its agents, open its store. */
export { createAgentSpecResolver, type ResolvedAgentSpec } from './agents/provider-registry.js';
export { describeTeamStore, missingTeamState, openTeamStore, readTeamStateAt, withTeamStore } from './run/open-team.js';
export { followRunLedger, readRunLedger } from './run/team-ledger.js';
export { DEFAULT_KEPT_LEDGER_ENTRIES, RunLedgerReader } from './run/run-ledger-reader.js';
export { serveAgents, type WorkerEvent, type WorkerExit, workerAgents } from './run/serve-agents.js';
export { LEASE_ENV } from './run/agent-processes.js';
export { runAgent } from './run/run-agent.js';
export { describeOwner, ownerLiveness, RUN_OWNED_EXIT_CODE } from './run/run-owner.js';
export { abandonedBecause } from './run/take-run.js';
export { subtaskId } from './tasks/subtask-id.js';
export { PLANNED_END_REASON, runTeam, type RunTeamOptions, type RunTeamResult } from './run/run-team.js';
export { type ApprovalDecision, type DecisionOutcome, decideApproval, withdrawDroppedCheckpoints } from './tasks/approval-decision.js';
export { awaitsPerson, pendingApprovals } from './tasks/approval-request.js';
export { AFTER_PLAN, BEFORE_INTEGRATION, beforeTask, checkpointTaskId } from './tasks/checkpoints.js';
export { openBlockers, type PersonResolutionOutcome, resolveBlockerByPerson } from './tasks/person-resolution.js';
export { routeTasks, unroutableTasks } from './tasks/routing.js';
export { SLA_ATTEMPTS } from './tasks/sla.js';
export type { TeamStore } from './agents/team-context.js';
