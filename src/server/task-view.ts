/** GET /tasks/{task_id} and the subtasks of POST /orchestrate: the seed's view of a team run. */
import type { TeamConfig } from '../config/index.js';
import type { LedgerEntry, LedgerEvent, Task, TeamState } from '../state/index.js';
import { subtaskId } from '../team/index.js';
import type { Subtask, TaskResponse } from './api-schemas.js';
import { personView } from './approval-view.js';
import type { TaskSnapshot } from './task-runs.js';
import { finishedAt, statusHistory, taskStatus } from './task-status.js';

const SUBTASK_STATES: Record<Task['status'], Subtask['state']> = {
  pending: 'pending',
  ready: 'ready',
  in_progress: 'running',
  blocked: 'blocked',
  review: 'review',
  done: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

function outputsOf(task: Task): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  if (task.result !== null) {
    outputs['summary'] = task.result.summary;
    outputs['files_changed'] = task.result.filesChanged;
  }
  if (task.branch !== null) outputs['branch'] = task.branch;
  if (task.commit !== null) outputs['commit'] = task.commit;
  if (task.merge !== null) outputs['merge'] = task.merge;
  if (task.failure !== null) outputs['failure'] = task.failure;
  return outputs;
}

/** The subtasks of a run, in plan order. */
export function subtasksOf(input: { taskId: string; state: TeamState | null; config: TeamConfig }): Subtask[] {
  const { taskId, state, config } = input;
  if (state === null) return [];
  const byId = new Map(state.tasks.map((task) => [task.id, task]));
  return state.tasks.map((task) => ({
    subtask_id: subtaskId(taskId, task),
    agent: task.assignee ?? config.roster.find((member) => member.role === task.role)?.id ?? null,
    role: task.role,
    title: task.title,
    state: SUBTASK_STATES[task.status],
    depends_on: task.dependsOn.map((id) => subtaskId(taskId, byId.get(id) ?? { id, role: 'unknown' })),
    outputs: outputsOf(task),
    hold: task.hold === null ? null : { ...task.hold },
  }));
}

/** The instant a due date stands for: a date alone is the end of that day, UTC. */
export function dueInstant(dueDate: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(dueDate) ? new Date(`${dueDate}T23:59:59.999Z`) : new Date(dueDate);
}

/** The whole view of a task. */
export function taskView(input: { snapshot: TaskSnapshot; ledger: readonly LedgerEntry<LedgerEvent>[]; now: Date }): TaskResponse {
  const { snapshot, ledger, now } = input;
  const { record, state, config } = snapshot;
  const taskId = record.request.task_id;
  const status = taskStatus(snapshot);
  const subtasks = subtasksOf({ taskId, state, config });
  const agents = Object.values(state?.agents ?? {});
  const sum = (pick: (agent: (typeof agents)[number]) => number): number => agents.reduce((total, agent) => total + pick(agent), 0);
  const tokens = {
    input: sum((agent) => agent.usage.inputTokens),
    output: sum((agent) => agent.usage.outputTokens),
    cache_read: sum((agent) => agent.usage.cacheReadTokens),
    cache_write: sum((agent) => agent.usage.cacheWriteTokens),
    total: 0,
  };
  tokens.total = tokens.input + tokens.output + tokens.cache_read + tokens.cache_write;
  const end = finishedAt(status, state, now);
  const dueDate = record.request.metadata.due_date ?? null;
  return {
    task_id: taskId,
    title: record.request.title,
    priority: record.request.priority,
    status,
    run_id: state?.run.id ?? null,
    end_reason: state?.run.endReason ?? null,
    subtasks,
    dependencies: subtasks.map((subtask) => ({ subtask_id: subtask.subtask_id, depends_on: subtask.depends_on })),
    metrics: {
      elapsed_seconds: Math.max(0, Math.round((end.getTime() - Date.parse(record.receivedAt)) / 100) / 10),
      due_date: dueDate,
      on_time: dueDate === null ? null : end.getTime() <= dueInstant(dueDate).getTime(),
      tokens,
      cost_usd: Math.round(sum((agent) => agent.costUsd) * 1e6) / 1e6,
      model_calls: sum((agent) => agent.calls),
    },
    status_history: statusHistory(record.receivedAt, ledger),
    artifacts: {
      run_dir: state?.run.options.runDir ?? null,
      branches: (state?.tasks ?? []).flatMap((task) => (task.branch === null ? [] : [task.branch])),
    },
    ...personView(taskId, state),
  };
}
