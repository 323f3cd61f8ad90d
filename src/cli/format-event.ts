import { plainStrings } from '../observability/index.js';
import type { LedgerEntry, LedgerEvent } from '../state/index.js';
import { paint, type Terminal } from './terminal.js';

function clip(text: string, length = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

/** One human line for a ledger entry, or null for events too chatty to show; model text in it is plain (no escape sequences). */
export function formatEvent(terminal: Terminal, raw: LedgerEntry<LedgerEvent>): string | null {
  const entry = plainStrings(raw);
  const time = paint(terminal, 'dim', entry.at.slice(11, 19));
  const who = (id: string): string => paint(terminal, 'cyan', id);
  switch (entry.type) {
    case 'run-start':
      return `${time} run ${entry.runId} started: ${clip(entry.feature)}`;
    case 'run-resume':
      return `${time} run ${entry.runId} resumed (${entry.released.length} task(s) back to ready)`;
    case 'run-takeover':
      return `${time} run ${entry.runId} ${paint(terminal, 'yellow', 'taken over')} by pid ${entry.pid}: ${entry.previousOwner} was gone (${clip(entry.reason)})`;
    case 'report-reject':
      return `${time} ${who(entry.agentId)} ${paint(terminal, 'yellow', 'late write refused')} on ${entry.taskId} (claim ${entry.fence}, now ${entry.current}): ${clip(entry.reason)}`;
    case 'agent-restart':
      return `${time} ${who(entry.agentId)} ${paint(terminal, 'yellow', 'restarted')} (${entry.restart}): ${clip(entry.reason)}`;
    case 'run-end':
      return `${time} run ${entry.status === 'done' ? paint(terminal, 'green', entry.status) : paint(terminal, 'yellow', entry.status)}: ${clip(entry.reason)}`;
    case 'plan-create':
      return `${time} ${who(entry.agentId)} planned ${entry.taskIds.length} tasks: ${clip(entry.taskIds.join(' '), 80)}`;
    case 'task-create':
      return `${time} ${who(entry.agentId)} added task ${entry.taskId} (${entry.reason})`;
    case 'task-claim':
      return `${time} ${who(entry.agentId)} took ${entry.taskId}${entry.attempt > 1 ? ` (attempt ${entry.attempt})` : ''} on ${entry.model}`;
    case 'task-commit':
      return `${time} ${who(entry.agentId)} committed ${entry.taskId} on ${entry.branch}: ${entry.files.length} file(s)`;
    case 'task-review':
      return entry.gates.length === 0 ? null : `${time} ${entry.taskId} goes through the gates: ${entry.gates.join(', ')}`;
    case 'gate-verdict':
      return (
        `${time} ${entry.gate} gate ${entry.passed ? paint(terminal, 'green', 'passed') : paint(terminal, 'red', 'failed')} ` +
        `${entry.taskId}${entry.passed ? '' : `: ${clip(entry.reasons.join('; '))}`}`
      );
    case 'task-wip':
      return `${time} ${who(entry.agentId)} saved partial work of ${entry.taskId} on ${entry.branch} (${entry.reason})`;
    case 'task-merge':
      return (
        `${time} ${entry.taskId} ` +
        `${entry.status === 'merged' ? paint(terminal, 'green', 'merged') : paint(terminal, 'yellow', entry.status)}: ${clip(entry.detail)}`
      );
    case 'task-wait':
      return `${time} ${entry.taskId} waits for ${entry.blockingTaskId}: both touch ${clip(entry.files.join(', '), 60)}`;
    case 'task-release':
      return `${time} ${who(entry.agentId)} released ${entry.taskId}: ${entry.reason}`;
    case 'task-end':
      return (
        `${time} ${who(entry.agentId)} ` +
        `${entry.status === 'done' ? paint(terminal, 'green', 'finished') : paint(terminal, 'red', entry.status)} ` +
        `${entry.taskId}${entry.status === 'done' ? '' : `: ${clip(entry.detail)}`}`
      );
    case 'blocker-raise':
      return (
        `${time} ${who(entry.agentId)} ${paint(terminal, 'yellow', entry.kind === 'loop' ? 'looping' : 'blocked')} ` +
        `on ${entry.taskId}: ${clip(entry.question)}`
      );
    case 'blocker-resolve':
      return entry.resolver === 'person'
        ? `${time} ${who(entry.by ?? 'a person')} (a person) resolved ${entry.blockerId}: ${clip(entry.resolution)}`
        : `${time} ${who(entry.agentId)} resolved ${entry.blockerId} (${entry.resolutionKind}): ${clip(entry.resolution)}`;
    case 'approval-request':
      return `${time} ${paint(terminal, 'yellow', 'waiting for approval')} ${entry.approvalId} (${entry.kind}): ${clip(entry.question)}`;
    case 'approval-decide':
      return `${time} ${who(entry.by)} ${entry.decision === 'approve' ? paint(terminal, 'green', 'approved') : paint(terminal, 'yellow', `${entry.decision === 'reject' ? 'rejected' : 'withdrew'}`)} ${entry.approvalId}${entry.note === null ? '' : `: ${clip(entry.note)}`}`;
    case 'task-sla':
      return `${time} ${who(entry.agentId)} ${paint(terminal, 'yellow', 'missed the SLA')} of ${entry.slaSeconds} s on ${entry.taskId} (${entry.miss}), ${entry.action === 'retry' ? 'retried' : 'held for review'}`;
    case 'run-review':
      return `${time} run ${entry.runId} ${paint(terminal, 'red', 'flagged for human review')}: ${clip(entry.reason)}`;
    case 'route-fail':
      return `${time} ${paint(terminal, 'red', 'no agent')} for role ${entry.role}: ${entry.taskIds.join(' ')} blocked (${clip(entry.reason)})`;
    case 'budget-block':
      return `${time} ${who(entry.agentId)} ${paint(terminal, 'red', 'budget reached')} (${entry.limit}): ${entry.detail}`;
    case 'budget-overshoot':
      return (
        `${time} ${who(entry.agentId)} ${paint(terminal, 'red', 'held too little')}: ${entry.model} reported ${entry.reportedTokens} tokens ` +
        `where ${entry.heldTokens} were held (over by ${entry.overTokens} tokens, $${entry.overUsd.toFixed(4)})`
      );
    case 'agent-stop':
      return entry.reason === 'run-finished' ? null : `${time} ${who(entry.agentId)} stopped: ${entry.reason}`;
    case 'model-call':
    case 'task-ready':
    case 'agent-start':
      return null;
  }
}
