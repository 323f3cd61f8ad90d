import { AgentTeamError } from '../../errors/index.js';
import { type LedgerEvent, plainList, type Task, type TeamState } from '../../state/index.js';
import type { WorkReport } from './answer-schemas.js';
import { refreshReadiness } from './scheduler.js';
import { taskById } from './task-lookup.js';

type Emit = (event: LedgerEvent) => void;

function findTask(state: TeamState, taskId: string): Task {
  const task = taskById(state.tasks, taskId);
  if (task === undefined) throw new AgentTeamError('task_unknown', `task ${taskId} vanished from the state`);
  return task;
}

/**
 * True when the agent's claim on the task (`fence`, the task's claim count when
 * it was handed out) is still the current one. Otherwise the write is refused:
 * recorded in the ledger and not applied, so a late answer of an earlier claim
 * (an agent that stalled, an earlier owner's agent) cannot change the task.
 */
export function claimIsCurrent(input: { state: TeamState; agentId: string; taskId: string; fence: number; emit: Emit }): boolean {
  const { state, agentId, taskId, fence } = input;
  const task = taskById(state.tasks, taskId);
  const current = task?.fence ?? 0;
  let reason: string | undefined;
  if (task === undefined) reason = 'the task is not in the state';
  else if (task.fence !== fence) reason = `the task was claimed again since (claim ${task.fence})`;
  else if (task.status !== 'in_progress' || task.assignee !== agentId) reason = `the task is ${task.status}, no longer held by ${agentId}`;
  if (reason === undefined) return true;
  input.emit({ type: 'report-reject', agentId, taskId, fence, current, reason });
  return false;
}

function leaveTask(state: TeamState, agentId: string, taskId: string): void {
  const agent = state.agents[agentId];
  if (agent === undefined) return;
  agent.activeTasks = agent.activeTasks.filter((id) => id !== taskId);
  if (agent.activeTasks.length === 0 && agent.status === 'working') agent.status = 'idle';
}

/**
 * Applies an agent's report: done (dependents become ready), blocked (a blocker for
 * the manager), or a loop when the answer repeats the previous one on this task.
 */
export function applyWorkReport(input: {
  state: TeamState;
  agentId: string;
  taskId: string;
  report: WorkReport;
  normalized: string;
  managerId: string;
  now: string;
  emit: Emit;
  /** Workspace runs: a done task goes to review (these gates, then its merge) instead of done. */
  review?: readonly string[] | undefined;
}): 'done' | 'review' | 'blocked' | 'loop' {
  const { state, agentId, report, now, emit } = input;
  const task = findTask(state, input.taskId);
  leaveTask(state, agentId, task.id);
  task.iterations += 1;
  const repeated = task.lastOutput === input.normalized;
  task.lastOutput = input.normalized;
  if (repeated || report.status === 'blocked') {
    const kind = repeated ? 'loop' : 'question';
    const question = repeated
      ? `The agent gave the same answer twice in a row: ${report.status === 'blocked' ? report.question : report.summary}`
      : (report as { question: string }).question;
    // Counted on the plain entries: a scan through a store's working copy would note every blocker as reached.
    const blockerId = `${task.id}-B${plainList(state.blockers).filter((b) => b.taskId === task.id).length + 1}`;
    state.blockers.push({
      id: blockerId,
      taskId: task.id,
      raisedBy: agentId,
      kind,
      question,
      status: 'open',
      resolution: null,
      resolutionKind: null,
      resolvedBy: null,
      resolver: null,
      raisedAt: now,
      resolvedAt: null,
    });
    task.status = 'blocked';
    state.messages.push({ id: `${blockerId}-Q`, from: agentId, to: input.managerId, taskId: task.id, body: question, at: now });
    emit({ type: 'blocker-raise', agentId, taskId: task.id, blockerId, kind, question });
    return kind === 'loop' ? 'loop' : 'blocked';
  }
  task.result = doneResult(report);
  if (input.review !== undefined) {
    // Its dependents wait for the merge, so that they start from code that includes it.
    task.status = 'review';
    emit({ type: 'task-review', agentId, taskId: task.id, gates: [...input.review] });
    return 'review';
  }
  task.status = 'done';
  task.completedAt = now;
  emit({ type: 'task-end', agentId, taskId: task.id, status: 'done', detail: doneDetail(report) });
  refreshReadiness(state, emit);
  return 'done';
}

/** The result a done report leaves on its task. */
export function doneResult(report: Extract<WorkReport, { status: 'done' }>): NonNullable<Task['result']> {
  return { summary: report.summary, filesChanged: report.filesChanged, ...(report.notes === undefined ? {} : { notes: report.notes }) };
}

/** The detail of the task-end event of a done report: the start of its summary. */
export function doneDetail(report: Extract<WorkReport, { status: 'done' }>): string {
  return report.summary.slice(0, 200);
}

/** Puts an in-flight task back to ready (interrupt, budget, retryable failure); its assignee keeps it. */
export function releaseTask(input: { state: TeamState; agentId: string; taskId: string; reason: string; emit: Emit }): void {
  const task = findTask(input.state, input.taskId);
  leaveTask(input.state, input.agentId, task.id);
  if (task.status !== 'in_progress') return;
  task.status = 'ready';
  input.emit({ type: 'task-release', agentId: input.agentId, taskId: task.id, reason: input.reason });
}

/** Ends a task as failed; tasks that depend on it are cancelled. */
export function failTask(input: { state: TeamState; agentId: string; taskId: string; reason: string; now: string; emit: Emit }): void {
  const task = findTask(input.state, input.taskId);
  leaveTask(input.state, input.agentId, task.id);
  task.status = 'failed';
  task.failure = input.reason;
  task.completedAt = input.now;
  input.emit({ type: 'task-end', agentId: input.agentId, taskId: task.id, status: 'failed', detail: input.reason });
  refreshReadiness(input.state, input.emit);
}

/** Counts a failed attempt, then retries (back to ready) (back to ready) while attempts remain, else fail. */
export function retryOrFail(input: {
  state: TeamState;
  agentId: string;
  taskId: string;
  reason: string;
  maxAttempts: number;
  now: string;
  emit: Emit;
}): 'retry' | 'failed' {
  const task = findTask(input.state, input.taskId);
  task.attempts += 1;
  if (task.attempts >= input.maxAttempts) {
    failTask({ ...input, reason: `${input.reason} (after ${task.attempts} attempts)` });
    return 'failed';
  }
  releaseTask(input);
  return 'retry';
}
