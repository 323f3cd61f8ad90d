import type { Usage } from '../providers/index.js';

/** Everything the run ledger records, one JSON line each. Names are `<noun>-<action>`. */
export type LedgerEvent =
  | { type: 'run-start'; runId: string; feature: string; provider: string; seed: number; simulated: boolean }
  | { type: 'run-resume'; runId: string; resumes: number; released: string[] }
  | { type: 'run-end'; runId: string; status: string; reason: string }
  /** A run whose owner was gone was taken over by a new owner (a crash found later, or a stalled owner). */
  | { type: 'run-takeover'; runId: string; previousOwner: string; reason: string; pid: number }
  /** A write for a task from a claim that is no longer current (a late agent, an earlier owner's agent): not applied. */
  | { type: 'report-reject'; agentId: string; taskId: string; fence: number; current: number; reason: string }
  | { type: 'plan-create'; agentId: string; taskIds: string[] }
  | { type: 'task-create'; agentId: string; taskId: string; reason: string }
  | { type: 'task-ready'; taskId: string }
  | { type: 'task-claim'; agentId: string; taskId: string; attempt: number; model: string }
  | { type: 'task-release'; agentId: string; taskId: string; reason: string }
  | { type: 'task-wait'; agentId: string; taskId: string; blockingTaskId: string; files: string[] }
  | { type: 'task-end'; agentId: string; taskId: string; status: 'done' | 'failed' | 'cancelled'; detail: string }
  | { type: 'blocker-raise'; agentId: string; taskId: string; blockerId: string; kind: 'question' | 'loop'; question: string }
  | {
      type: 'blocker-resolve';
      agentId: string;
      taskId: string;
      blockerId: string;
      resolutionKind: 'answer' | 'new_task' | 'reassign' | 'fail';
      resolution: string;
      /** Absent in ledgers written before people could resolve: the manager. */
      resolver?: 'manager' | 'person';
      /** A person's name as they gave it (POST /tasks/{id}/blockers/{blocker_id}/resolve `by`), or the approver of a manager's resolution. */
      by?: string | null;
    }
  /** A person is asked to decide (a checkpoint, the manager's resolution in a manual run, a task after missed SLAs). */
  | {
      type: 'approval-request';
      approvalId: string;
      kind: 'checkpoint' | 'resolution' | 'review';
      agentId: string;
      checkpoint: string | null;
      taskId: string | null;
      blockerId: string | null;
      question: string;
    }
  /** A person's decision on an approval; `note` is their own resolution or reason. */
  | {
      type: 'approval-decide';
      approvalId: string;
      decision: 'approve' | 'reject' | 'withdraw';
      by: string;
      note: string | null;
    }
  /** A task's attempt ran past the SLA: retried, or (after SLA_ATTEMPTS) held for a person's review. */
  | { type: 'task-sla'; agentId: string; taskId: string; miss: number; slaSeconds: number; action: 'retry' | 'review' }
  /** The run needs a person's review. */
  | { type: 'run-review'; runId: string; reason: string; taskIds: string[] }
  /** No roster agent can take these tasks' role: they are held blocked until one can (an alert for manual routing). */
  | { type: 'route-fail'; role: string; taskIds: string[]; reason: string }
  | {
      type: 'model-call';
      agentId: string;
      taskId: string | null;
      purpose: string;
      provider: string;
      model: string;
      usage: Usage;
      costUsd: number;
      latencyMs: number;
      simulated: boolean;
      repair: boolean;
      /** On a call asked again after an answer stopped at max_tokens: its own max_tokens and the truncated call's. */
      maxTokens?: number;
      raisedFromMaxTokens?: number;
    }
  | { type: 'task-commit'; agentId: string; taskId: string; branch: string; commit: string | null; files: string[] }
  | { type: 'task-review'; agentId: string; taskId: string; gates: string[] }
  | { type: 'gate-verdict'; agentId: string; taskId: string; gate: string; passed: boolean; reasons: string[]; round: number }
  | { type: 'task-merge'; taskId: string; status: 'merged' | 'reverted' | 'conflict' | 'ready'; detail: string }
  | { type: 'task-wip'; agentId: string; taskId: string; branch: string; commit: string; reason: string }
  | { type: 'agent-start'; agentId: string; pid: number; host?: string | undefined }
  | { type: 'agent-stop'; agentId: string; reason: string }
  /** An agent process that died is started again by the supervisor (`restart` counts from 1). */
  | { type: 'agent-restart'; agentId: string; restart: number; reason: string }
  | { type: 'budget-block'; agentId: string; limit: string; detail: string }
  /**
   * A vendor reported more than its call held (it counted more input tokens than the hold
   * allowed for): the spend is recorded as reported, and the run stops taking new calls.
   * `basis` says how the hold was sized: the vendor's own count, or our estimate with a margin.
   */
  | {
      type: 'budget-overshoot';
      agentId: string;
      taskId: string | null;
      provider: string;
      model: string;
      basis: 'count' | 'estimate';
      heldTokens: number;
      reportedTokens: number;
      overTokens: number;
      heldUsd: number;
      reportedUsd: number;
      overUsd: number;
    };

/** A ledger event type name. */
export type LedgerEventType = LedgerEvent['type'];
