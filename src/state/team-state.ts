import { z } from 'zod';

/** Version of the team state file format this build reads and writes. */
export const TEAM_STATE_VERSION = 1;

const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative(),
  // Part of outputTokens; states written before it was recorded have none.
  reasoningTokens: z.number().int().nonnegative().optional(),
});

/** Lifecycle of a run. */
export const runStatusSchema = z.enum(['planning', 'running', 'integrating', 'done', 'failed', 'interrupted', 'budget_exceeded']);
export type RunStatus = z.infer<typeof runStatusSchema>;

/** Lifecycle of a task. */
export const taskStatusSchema = z.enum(['pending', 'ready', 'in_progress', 'blocked', 'review', 'done', 'failed', 'cancelled']);
export type TaskStatus = z.infer<typeof taskStatusSchema>;

/** Task size, which picks the model tier. */
export const complexitySchema = z.enum(['simple', 'medium', 'complex']);
export type Complexity = z.infer<typeof complexitySchema>;

const taskResultSchema = z.object({
  summary: z.string(),
  filesChanged: z.array(z.string()),
  notes: z.string().optional(),
});

/** A gate's verdict on one round of a task's change. */
export const gateVerdictSchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  reasons: z.array(z.string()),
  /** 1 for the first change reviewed, 2 after the agent reworked it. */
  round: z.number().int().positive(),
});
export type GateVerdict = z.infer<typeof gateVerdictSchema>;

/** What keeps a task blocked without a blocker of an agent. */
export const taskHoldSchema = z.object({
  /** `no_agent`: no roster agent can take its role; `sla`: its attempts kept running past the SLA and a person reviews it. */
  reason: z.enum(['no_agent', 'sla']),
  detail: z.string(),
  since: z.string(),
});
export type TaskHold = z.infer<typeof taskHoldSchema>;

/** One unit of work in the plan. */
export const taskSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  description: z.string(),
  role: z.string(),
  assignee: z.string().nullable(),
  dependsOn: z.array(z.string()),
  files: z.array(z.string()),
  complexity: complexitySchema,
  acceptanceCriteria: z.array(z.string()),
  status: taskStatusSchema,
  /** Failed attempts (invalid output, timeout, provider error), bounded by coordination.max_attempts. */
  attempts: z.number().int().nonnegative(),
  /** Work calls made on this task, bounded by coordination.max_iterations. */
  iterations: z.number().int().nonnegative(),
  result: taskResultSchema.nullable(),
  failure: z.string().nullable(),
  /** Normalized last output, for loop detection. */
  lastOutput: z.string().nullable(),
  createdBy: z.string(),
  /** With a workspace: the task's branch and its commit. */
  branch: z.string().nullable().default(null),
  commit: z.string().nullable().default(null),
  /** With a workspace: what happened when its branch was merged. */
  merge: z.string().nullable().default(null),
  /** With a workspace: the gates' verdicts, every round. */
  gates: z.array(gateVerdictSchema).default([]),
  /** With a workspace: the `wip/` branch holding partial work of a stopped attempt. */
  wip: z.string().nullable().default(null),
  /** Counts the task's claims; a report must carry the count of the claim it answers (a fencing token), so a late report of an earlier claim is rejected. */
  fence: z.number().int().nonnegative().default(0),
  /** The in-progress task this ready task waits for because they touch the same files. */
  waitingFor: z.string().nullable().default(null),
  /** Times an attempt ran past the run's SLA (see RunExecution.slaSeconds): retried up to SLA_ATTEMPTS, then held for a person. */
  slaMisses: z.number().int().nonnegative().default(0),
  /** Why a blocked task with no blocker waits: no agent can take its role, or a person reviews it after missed SLAs. */
  hold: taskHoldSchema.nullable().default(null),
  claimedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
});
export type Task = z.infer<typeof taskSchema>;

/** A question an agent cannot answer alone. */
export const blockerSchema = z.object({
  id: z.string(),
  taskId: z.string(),
  raisedBy: z.string(),
  kind: z.enum(['question', 'loop']),
  question: z.string(),
  /**
   * open: for the manager; resolving: the manager is at it; awaiting_approval: the manager's resolution waits for a
   * person (manual runs); awaiting_person: only a person resolves it (they rejected the manager's resolution); resolved.
   */
  status: z.enum(['open', 'resolving', 'awaiting_approval', 'awaiting_person', 'resolved']),
  resolution: z.string().nullable(),
  resolutionKind: z.enum(['answer', 'new_task', 'reassign', 'fail']).nullable(),
  resolvedBy: z.string().nullable(),
  /** Who resolved it: the manager (possibly approved by a person) or a person directly; null while unresolved. */
  resolver: z.enum(['manager', 'person']).nullable().default(null),
  raisedAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export type Blocker = z.infer<typeof blockerSchema>;

/** An agent of the roster as the run sees it. */
export const agentStateSchema = z.object({
  id: z.string(),
  role: z.string(),
  provider: z.string(),
  model: z.string(),
  status: z.enum(['idle', 'working', 'stopped']),
  pid: z.number().int().nullable(),
  /** The machine of the process serving the agent (AGENT_TEAM_HOST or the hostname). */
  host: z.string().nullable().optional(),
  heartbeatAt: z.string().nullable(),
  activeTasks: z.array(z.string()),
  maxConcurrentTasks: z.number().int().positive(),
  usage: usageSchema,
  costUsd: z.number().nonnegative(),
  calls: z.number().int().nonnegative(),
  stopReason: z.string().nullable(),
});
export type AgentState = z.infer<typeof agentStateSchema>;

/** A note between agents (a blocker's question and the manager's answer), kept for the record. */
export const messageSchema = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
  taskId: z.string().nullable(),
  body: z.string(),
  at: z.string(),
});
export type TeamMessage = z.infer<typeof messageSchema>;

/** Spend limits and what is spent and reserved against them. */
export const budgetStateSchema = z.object({
  limitUsd: z.number().positive().nullable(),
  limitTokens: z.number().int().positive().nullable(),
  perAgentUsd: z.number().positive().nullable(),
  perAgentTokens: z.number().int().positive().nullable(),
  spentUsd: z.number().nonnegative(),
  spentTokens: z.number().int().nonnegative(),
  reservedUsd: z.number().nonnegative(),
  reservedTokens: z.number().int().nonnegative(),
  /** Outstanding reservations by id, so a crashed agent's hold can be released. */
  reservations: z.record(
    z.string(),
    z.object({ agentId: z.string(), usd: z.number().nonnegative(), tokens: z.number().int().nonnegative() }),
  ),
});
export type BudgetState = z.infer<typeof budgetStateSchema>;

/** A part of a design as given, and where it came from (a file, an experiment's design). */
const sourcedValueSchema = z.object({ value: z.unknown(), where: z.string() });

/** How the run was started, so agent processes and `--resume` continue it the same way. */
export const runOptionsSchema = z.object({
  provider: z.string(),
  seed: z.number().int(),
  timeScale: z.number().nonnegative(),
  /** Sim only, like the two below: settings of the sim provider, recorded so a resumed run and agent processes build the same sim. */
  blockerRate: z.number().min(0).max(1),
  /** Sim workspace runs: share of tasks whose first change carries a flaw the security gate catches. */
  gateFailureRate: z.number().min(0).max(1).default(0),
  /** Sim only: plan exactly this many tasks (load tests and benchmarks). */
  planTasks: z.number().int().positive().nullable(),
  configFile: z.string().nullable(),
  runDir: z.string(),
  /** Cassette every call is recorded to, or null. */
  record: z.string().nullable().default(null),
  /** Cassette every call is answered from, or null. */
  replay: z.string().nullable().default(null),
  /** The git repository the agents change, each task in its own worktree; null: no workspace. */
  workspace: z.string().nullable().default(null),
  /**
   * The design laid over the config files when the run started (`--roster`, `--tiers`, an experiment cell's keys),
   * each part with where it came from; absent: none (so older state files read and write back unchanged). A resumed
   * run and its agent processes run the same design.
   */
  design: z
    .object({ roster: sourcedValueSchema.optional(), tiers: sourcedValueSchema.optional(), orchestrator: sourcedValueSchema.optional() })
    .optional(),
});
export type RunOptions = z.infer<typeof runOptionsSchema>;

/**
 * The process that runs a run, and its lease: the owner renews `expiresAt`; a
 * run whose lease expired, or whose owner process is gone from its host, may be
 * taken over. Every write of the owner and its agents presents `lease`.
 */
export const runOwnerSchema = z.object({
  /** Random per taking-over; the fencing token of the run's writers. */
  lease: z.string().min(1),
  host: z.string(),
  pid: z.number().int().positive(),
  /** The owner process's start time as its host tells it (Linux: /proc/<pid>/stat), or null; guards against a reused pid. */
  pidStart: z.string().nullable(),
  /** Which command owns the run, e.g. "run", "run --resume". */
  command: z.string(),
  since: z.string(),
  expiresAt: z.string(),
});
export type RunOwner = z.infer<typeof runOwnerSchema>;

/** How a run executes: `manual` waits for a person at its checkpoints and before applying the manager's resolutions. */
export const runExecutionSchema = z.object({
  mode: z.enum(['auto', 'manual']),
  /** Manual runs: `after_plan` (before any task starts), `before:<task id>`, `before_integration`. */
  checkpoints: z.array(z.string()),
  /** A task's attempt running longer than this (on the store's clock) is retried, up to SLA_ATTEMPTS; null: no SLA. */
  slaSeconds: z.number().positive().nullable(),
});
export type RunExecution = z.infer<typeof runExecutionSchema>;

/** What the manager proposes for a blocker in a manual run: a resolution as the manager answers it. */
export const proposedResolutionSchema = z.looseObject({
  kind: z.enum(['answer', 'new_task', 'reassign', 'fail']),
  answer: z.string(),
});

/** A decision a person takes: pass a checkpoint, apply the manager's resolution, or retry a task after missed SLAs. */
export const approvalSchema = z.object({
  id: z.string(),
  kind: z.enum(['checkpoint', 'resolution', 'review']),
  /** The checkpoint's name, for kind checkpoint. */
  checkpoint: z.string().nullable(),
  taskId: z.string().nullable(),
  blockerId: z.string().nullable(),
  /** What the person is asked. */
  question: z.string(),
  /** The manager's resolution, for kind resolution. */
  proposal: proposedResolutionSchema.nullable(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  /** withdrawn: a person resolved the blocker directly, so there is nothing left to decide. */
  status: z.enum(['pending', 'approved', 'rejected', 'withdrawn']),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  /** The person's own resolution or reason, given with a rejection. */
  note: z.string().nullable(),
});
export type Approval = z.infer<typeof approvalSchema>;

/** The run flagged for a person's review (tasks that kept missing their SLA). */
export const runReviewSchema = z.object({ reason: z.string(), at: z.string(), taskIds: z.array(z.string()) });

/** The run as a whole. */
export const runSchema = z.object({
  id: z.string(),
  feature: z.string(),
  status: runStatusSchema,
  simulated: z.boolean(),
  options: runOptionsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().nullable(),
  endReason: z.string().nullable(),
  integrationSummary: z.string().nullable(),
  /** How many times the run was resumed. */
  resumes: z.number().int().nonnegative(),
  /** The live owner, or null once the run has ended (or before anyone took it). */
  owner: runOwnerSchema.nullable().default(null),
  execution: runExecutionSchema.default({ mode: 'auto', checkpoints: [], slaSeconds: null }),
  /** Every decision asked of a person, in order; pending ones hold what they guard. */
  approvals: z.array(approvalSchema).default([]),
  /** Set when the run needs a person's review; cleared once nothing is left to review. */
  review: runReviewSchema.nullable().default(null),
});
export type RunInfo = z.infer<typeof runSchema>;

/** The whole team state: `team-communication.json`. */
export const teamStateSchema = z.object({
  version: z.literal(TEAM_STATE_VERSION),
  seq: z.number().int().nonnegative(),
  run: runSchema,
  agents: z.record(z.string(), agentStateSchema),
  tasks: z.array(taskSchema),
  blockers: z.array(blockerSchema),
  messages: z.array(messageSchema),
  budget: budgetStateSchema,
});
export type TeamState = z.infer<typeof teamStateSchema>;

/** Task statuses after which a task never changes again. */
export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['done', 'failed', 'cancelled']);

/** Run statuses that `run --resume` continues from. */
export const RESUMABLE_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['interrupted', 'budget_exceeded']);

/** Run statuses after which agents stop. */
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['done', 'failed', 'interrupted', 'budget_exceeded']);
