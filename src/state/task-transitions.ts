/**
 * Task transitions a store can make on its own, without a copy of the run (see postgres-transitions-sql.ts): an
 * agent claiming its next task, an agent reporting a task done, an agent's process starting to serve it, and its
 * heartbeat. They follow the scheduler of src/team/tasks and
 * answer 'undecided' where it needs the whole state, writing nothing; the caller then makes the change with
 * `update()`. A store without them (the file store) leaves `StateStore.transitions` undefined.
 */
import type { LedgerEvent } from './ledger-events.js';
import type { AgentState, Blocker, RunOwner, Task, TeamState } from './team-state.js';

/** An agent's model for a task of each size: on its first attempt, its second, and every later one (see pickModel). */
export type ModelsBySize = Readonly<Record<Task['complexity'], readonly [string, string, string]>>;

/** A roster agent the transitions may hand work to, with its models. */
export interface TransitionAgent {
  readonly id: string;
  readonly models: ModelsBySize;
}

/** A task given to an agent, with what its prompt needs of the state, read in the same statement. */
export interface TaskGrant {
  readonly task: Task;
  /** The tasks it depends on, in plan order. */
  readonly dependencies: readonly Task[];
  /** The blockers raised on it, in order. */
  readonly blockers: readonly Blocker[];
  /** Every task's id, in plan order. */
  readonly taskIds: readonly string[];
}

/** Nothing was written: 'undecided' (make it with update()), or the run belongs to another owner than the caller's lease. */
export type TransitionRefusal = { kind: 'undecided' } | { kind: 'not-owner'; runId: string; owner: RunOwner | null };

/**
 * How a claim went: nothing to take (nothing written), or a task claimed. 'unknown': the connection was lost and the
 * claim went through; the task is the agent's in the state, not started (as one handed to it).
 */
export type ClaimOutcome = TransitionRefusal | { kind: 'none' } | { kind: 'claimed'; grant: TaskGrant } | { kind: 'unknown' };

/**
 * How a report went: the claim was stale (the report-reject event and the spend written), or the task is done, with
 * the tasks its commit handed to the reporter. 'unknown': the connection was lost and the commit went through; what it
 * handed out is in the state.
 */
export type ReportOutcome = TransitionRefusal | { kind: 'rejected' } | { kind: 'done'; grants: readonly TaskGrant[] } | { kind: 'unknown' };

/**
 * How a registration went: the agent is alive, and the ready tasks its commit handed out are in the state (the agent
 * finds its own with look()). 'unknown': the connection was lost and the commit went through.
 */
export type RegisterOutcome = TransitionRefusal | { kind: 'registered'; runId: string; workspaceRepo: string | null } | { kind: 'unknown' };

/** An agent's process starting to serve it (registerAgent). */
export interface AgentRegistration {
  readonly agentId: string;
  readonly pid: number;
  readonly host: string;
  /** The agents that may be handed ready tasks, in roster order (the manager left out). */
  readonly roster: readonly TransitionAgent[];
  /** With a lease: refused unless the run still belongs to it. */
  readonly lease?: string | undefined;
}

/** How a heartbeat went: written, or nothing written ('undecided': the run has no such agent). 'unknown': see ClaimOutcome. */
export type BeatOutcome = TransitionRefusal | { kind: 'beat' } | { kind: 'unknown' };

/** A model call's spend, settled in the report's commit: its reservation replaced by what it cost, the agent's usage, its event. */
export interface SpendSettlement {
  readonly reservationId: string;
  readonly usd: number;
  readonly tokens: number;
  readonly usage: AgentState['usage'];
  readonly event: Extract<LedgerEvent, { type: 'model-call' }>;
}

/** A report of work done, as applyAgentReport applies it outside a workspace. */
export interface DoneReport {
  readonly agentId: string;
  readonly taskId: string;
  /** The fence of the claim it answers. */
  readonly fence: number;
  readonly result: NonNullable<Task['result']>;
  /** The report normalized, for loop detection. */
  readonly normalized: string;
  /** The task-end event's detail. */
  readonly detail: string;
  readonly spend?: SpendSettlement | undefined;
  /** The agents that may be handed ready tasks, in roster order (the manager left out). */
  readonly roster: readonly TransitionAgent[];
  /** With a lease: refused unless the run still belongs to it. */
  readonly lease?: string | undefined;
}

/** What an agent looks at before it decides what to do next (nextWork), read in one statement, writing nothing. */
export interface AgentLook {
  readonly runStatus: TeamState['run']['status'];
  /** Undefined when the run has no such agent. */
  readonly agentStatus: AgentState['status'] | undefined;
  /** True when the agent may take another task now (live, with room). */
  readonly room: boolean;
  /** The tasks in progress the agent holds (claimed, or handed to it by a commit), in plan order. */
  readonly held: readonly TaskGrant[];
}

/** See the file comment. */
export interface TaskTransitions {
  /** The run's status, the agent's, and the tasks it holds. */
  look(input: { agentId: string }): Promise<AgentLook>;
  /** claimTask: the agent's next ready task, claimed. */
  claim(input: { agentId: string; models: ModelsBySize; lease?: string | undefined }): Promise<ClaimOutcome>;
  /** claimIsCurrent + applyAgentReport of a done report, with the call's spend. */
  reportDone(report: DoneReport): Promise<ReportOutcome>;
  /** registerAgent: the agent alive and idle, and ready tasks handed out. */
  register(registration: AgentRegistration): Promise<RegisterOutcome>;
  /** The agent's heartbeat, in a commit that wakes no one. */
  beat(input: { agentId: string; lease?: string | undefined }): Promise<BeatOutcome>;
}
