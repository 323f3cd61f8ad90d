/** What POST /execute settles before a run starts: its checkpoints in the team's names, its execution mode and SLA, and the subtasks no agent can take. */
import type { TeamConfig } from '../config/index.js';
import { getLogger } from '../observability/index.js';
import type { TeamState } from '../state/index.js';
import { AFTER_PLAN, BEFORE_INTEGRATION, beforeTask, routeTasks, withdrawDroppedCheckpoints, withTeamStore } from '../team/index.js';
import { ServiceError, type UnavailableSubtask } from './service-error.js';
import { subtaskId } from '../team/index.js';
import type { TaskRecord } from './task-record.js';
import { routableRoles } from './task-routing.js';

const log = getLogger('server');

/** What POST /execute asks for. */
export interface ExecuteOptions {
  readonly mode: 'auto' | 'manual';
  /** As the request names them: after_plan, before_integration, a subtask_id (or before:<subtask_id>). */
  readonly checkpoints: readonly string[];
}

/**
 * The run's checkpoints in the team's names, from the request's: after_plan, before_integration, and a
 * subtask_id (or `before:<subtask_id>`, or the team's own task id) for before that subtask. Anything else is a 400.
 */
export function teamCheckpoints(taskId: string, state: TeamState, options: ExecuteOptions): string[] {
  if (options.mode === 'auto' && options.checkpoints.length > 0) {
    throw new ServiceError({
      status: 400,
      code: 'invalid_request',
      message: 'checkpoints apply to execution_mode "manual" only; send "execution_mode": "manual", or no checkpoints.',
      fields: [{ field: 'checkpoints', issue: 'only with execution_mode "manual"' }],
    });
  }
  const fields: { field: string; issue: string }[] = [];
  const names = options.checkpoints.map((given, index) => {
    if (given === AFTER_PLAN || given === BEFORE_INTEGRATION) return given;
    const name = given.startsWith('before:') ? given.slice('before:'.length) : given;
    const task = state.tasks.find((candidate) => candidate.id === name || subtaskId(taskId, candidate) === name);
    if (task !== undefined) return beforeTask(task.id);
    fields.push({
      field: `checkpoints.${index}`,
      issue: `expected ${AFTER_PLAN}, ${BEFORE_INTEGRATION} or a subtask_id of the plan (e.g. ${state.tasks[0] === undefined ? 'role::task::T1' : subtaskId(taskId, state.tasks[0])}), found "${given.slice(0, 80)}"`,
    });
    return given;
  });
  if (fields.length > 0) {
    throw new ServiceError({
      status: 400,
      code: 'invalid_request',
      message: `The request body is invalid: ${fields.map((field) => `${field.field}: ${field.issue}`).join('; ')}`,
      fields,
    });
  }
  return [...new Set(names)];
}

/**
 * Records how the run executes (a pending approval of a checkpoint it no longer has is withdrawn), and
 * holds the subtasks no agent can take: then logs an alert and refuses with a 503 naming them (the run
 * is not started; it may be executed again once an agent of their role is there).
 */
export async function prepareExecution(input: {
  config: TeamConfig;
  record: TaskRecord;
  execution: { mode: 'auto' | 'manual'; checkpoints: string[] };
  now?: (() => Date) | undefined;
}): Promise<void> {
  const { config, record, execution } = input;
  const taskId = record.request.task_id;
  const held = await withTeamStore(
    config,
    (store) =>
      store.update((draft, context) => {
        draft.run.execution = { ...execution, slaSeconds: record.request.metadata.sla_seconds ?? null };
        withdrawDroppedCheckpoints({ state: draft, by: 'POST /execute/{task_id}', now: context.now, emit: context.emit });
        const { routable, reasons } = routableRoles(config, draft);
        const byRole = routeTasks({ state: draft, routable, reasons, now: context.now, emit: context.emit });
        const unavailable: UnavailableSubtask[] = [];
        for (const [role, taskIds] of byRole) {
          for (const id of taskIds) {
            const task = draft.tasks.find((candidate) => candidate.id === id);
            if (task !== undefined) unavailable.push({ subtask_id: subtaskId(taskId, task), role, reason: reasons.get(role) ?? '' });
          }
        }
        return unavailable;
      }),
    { look: true, now: input.now },
  );
  if (held.length === 0) return;
  const roles = [...new Set(held.map((subtask) => subtask.role))];
  log.error('alert: no agent can take subtasks; they are blocked until one can (manual routing)', {
    taskId,
    roles,
    subtasks: held.map((subtask) => subtask.subtask_id),
  });
  throw new ServiceError({
    status: 503,
    code: 'agent_unavailable',
    message:
      `No agent can take ${held.length} subtask(s) of task "${taskId}" (role ${roles.join(', ')}): they are blocked. ` +
      'Add an agent of that role to the roster (or give its provider an API key), restart the server, then execute again.',
    subtasks: held,
  });
}
