/**
 * The team runs of the service, one per task id: planning on submission, executing in this process on
 * request, cancelling. Each task's record (its request) is kept beside its state in the data directory.
 */
import type { TeamConfig } from '../config/index.js';
import { AgentTeamError, ProviderError, RunCancelledError } from '../errors/index.js';
import { getLogger } from '../observability/index.js';
import type { Approval, TeamState } from '../state/index.js';
import { RunLedgerReader, runTeam, withTeamStore } from '../team/index.js';
import type { OrchestrateRequest } from './api-schemas.js';
import { featureText } from './feature-text.js';
import { decideAsPerson, type PersonStoreAccess, resolveAsPerson } from './person-actions.js';
import { differingFields } from './request-diff.js';
import { ServiceError, taskEnded, unknownTask } from './service-error.js';
import { listTaskIds, taskTeamConfig } from './task-config.js';
import { type ExecuteOptions, prepareExecution, teamCheckpoints } from './task-execution.js';
import { TaskLock } from './task-lock.js';
import { newTaskRecord, readTaskRecord, removeTaskRecord, type TaskRecord, writeTaskRecord } from './task-record.js';

const log = getLogger('server');

/** A run executing in this process. */
interface ActiveRun {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

/** A task as the service sees it: its record, its team state (null before planning stored one) and whether it runs here now. */
export interface TaskSnapshot {
  readonly record: TaskRecord;
  readonly state: TeamState | null;
  readonly active: boolean;
  readonly config: TeamConfig;
}

/** Options of TaskRuns. */
export interface TaskRunsOptions {
  /** The loaded team config every task's config is derived from. */
  readonly config: TeamConfig;
  /** Where task records (and, on the file store, task states) live. */
  readonly dataDir: string;
  /** Sim latency multiplier for every run (default: the config's). */
  readonly timeScale?: number | undefined;
  /** The clock of task records, of the runs' stores and of their SLA checks (tests pass a fake one); default: the system clock. */
  readonly now?: (() => Date) | undefined;
}

/** A person's answer to a blocker or an approval, as the request gives it. */
export interface PersonInput {
  readonly by?: string | undefined;
}

/** Who a person is in the ledger when the request does not say. */
const UNNAMED_PERSON = 'person';

/** Plans, executes and cancels the team run of each task id. */
export class TaskRuns {
  /** The tasks' ledgers, read from where the last read stopped: answering about a growing run costs what it added. */
  readonly ledgers = new RunLedgerReader();
  readonly #options: TaskRunsOptions;
  readonly #lock = new TaskLock();
  readonly #active = new Map<string, ActiveRun>();
  #closed = false;

  constructor(options: TaskRunsOptions) {
    this.#options = options;
  }

  /** The team config of a task. */
  configFor(taskId: string): TeamConfig {
    return taskTeamConfig({ base: this.#options.config, dataDir: this.#options.dataDir, taskId });
  }

  /** True while the task's run executes in this process. */
  isActive(taskId: string): boolean {
    return this.#active.has(taskId);
  }

  /** Task ids executing in this process now. */
  activeTaskIds(): string[] {
    return [...this.#active.keys()];
  }

  /**
   * Submits a task: the first request plans it (the run stops after the plan, resumable); the same request
   * again answers the same task; another request under the same id is a 409 naming the fields that differ.
   */
  async orchestrate(request: OrchestrateRequest): Promise<TaskSnapshot> {
    this.#refuseWhenClosed();
    return this.#lock.run(request.task_id, async () => {
      const existing = await readTaskRecord(this.#options.dataDir, request.task_id);
      if (existing !== null) {
        const fields = differingFields(existing.request, request);
        if (fields.length > 0) {
          throw new ServiceError({
            status: 409,
            code: 'task_conflict',
            message: `Task "${request.task_id}" was submitted with other values (${fields.join(', ')}); resubmit the same body, or use a new task_id.`,
            fields: fields.map((field) => ({ field, issue: 'differs from the request this task_id was first submitted with' })),
          });
        }
        return this.#snapshot(existing);
      }
      const record = newTaskRecord(request, this.#now());
      await writeTaskRecord(this.#options.dataDir, record);
      try {
        await this.#plan(record);
      } catch (error) {
        // Refused before its run existed (no API key, a bad config): nothing to keep, the same task may come again.
        const state = await this.#readState(request.task_id).catch(() => undefined);
        if (state === null) await removeTaskRecord(this.#options.dataDir, request.task_id);
        throw error;
      }
      return this.#snapshot(record);
    });
  }

  /**
   * Starts (or resumes) the task's run in this process; answers at once, the run goes on in the background.
   * The mode and checkpoints are recorded in the run first; subtasks no agent can take are held blocked and
   * the request is a 503 naming them (the run does not start).
   */
  async execute(taskId: string, options: ExecuteOptions): Promise<TaskSnapshot> {
    const { mode } = options;
    return this.#lock.run(taskId, async () => {
      const record = await this.#record(taskId);
      const state = await this.#readState(taskId);
      // A run that ended may still be writing its record here: it is over all the same.
      if (state !== null && (state.run.status === 'done' || state.run.status === 'failed')) throw taskEnded(taskId, state.run.status);
      if (this.#active.has(taskId)) return this.#snapshot(record);
      if (record.cancelledAt !== null) {
        throw new ServiceError({
          status: 409,
          code: 'task_cancelled',
          message: `Task "${taskId}" was cancelled at ${record.cancelledAt}; submit a new task_id.`,
        });
      }
      if (state === null) throw new ServiceError({ status: 409, code: 'task_not_planned', message: `Task "${taskId}" has no plan yet.` });
      const checkpoints = teamCheckpoints(taskId, state, options);
      record.executions.push({ mode, at: this.#now().toISOString() });
      await writeTaskRecord(this.#options.dataDir, record);
      await prepareExecution({ config: this.configFor(taskId), record, execution: { mode, checkpoints }, now: this.#options.now });
      await this.#start(taskId);
      return this.#snapshot(record);
    });
  }

  /** A person answers a blocker: applied as the manager's answer would be. 404 for an unknown blocker, 409 once it is resolved. */
  async resolveBlocker(taskId: string, blockerId: string, input: PersonInput & { resolution: string }): Promise<{ by: string }> {
    const by = input.by ?? UNNAMED_PERSON;
    await resolveAsPerson({
      access: this.#personAccess(taskId),
      taskId,
      blockerId,
      resolution: input.resolution,
      by,
      managerId: this.#managerId(taskId),
    });
    return { by };
  }

  /** A person decides an approval. 404 for an unknown approval, 409 once it is decided. */
  async decide(
    taskId: string,
    approvalId: string,
    input: PersonInput & { decision: 'approve' | 'reject'; resolution?: string | undefined },
  ): Promise<{ approval: Approval; state: TeamState }> {
    return decideAsPerson({
      access: this.#personAccess(taskId),
      taskId,
      approvalId,
      decision: { decision: input.decision, note: input.resolution, by: input.by ?? UNNAMED_PERSON },
      managerId: this.#managerId(taskId),
    });
  }

  #managerId(taskId: string): string {
    return this.configFor(taskId).manager.id;
  }

  /** The task's store for a person's change: 404 for an unknown task, 409 once it was cancelled or ended; null when it has no plan yet. */
  #personAccess(taskId: string): PersonStoreAccess {
    return async (change) => {
      const record = await this.#record(taskId);
      if (record.cancelledAt !== null) {
        throw new ServiceError({
          status: 409,
          code: 'task_cancelled',
          message: `Task "${taskId}" was cancelled at ${record.cancelledAt}.`,
        });
      }
      return withTeamStore(
        this.configFor(taskId),
        async (store) => {
          if (!(await store.exists())) return null;
          const state = await store.read();
          if (state.run.status === 'done' || state.run.status === 'failed') throw taskEnded(taskId, state.run.status);
          return change(store);
        },
        { look: true, now: this.#options.now },
      );
    };
  }

  /** Stops the task's run for good: an executing run is aborted (in-flight model calls too) and awaited; the task ends cancelled. */
  async cancel(taskId: string): Promise<TaskSnapshot> {
    const record = await this.#lock.run(taskId, async () => {
      const found = await this.#record(taskId);
      const state = await this.#readState(taskId);
      if (state !== null && (state.run.status === 'done' || state.run.status === 'failed')) {
        throw new ServiceError({ status: 409, code: 'task_ended', message: `Task "${taskId}" already ended; there is nothing to cancel.` });
      }
      if (found.cancelledAt === null) {
        found.cancelledAt = this.#now().toISOString();
        await writeTaskRecord(this.#options.dataDir, found);
      }
      return found;
    });
    const active = this.#active.get(taskId);
    if (active !== undefined) {
      active.controller.abort(new RunCancelledError({ by: 'POST /tasks/{task_id}/cancel' }));
      await active.done;
    }
    return this.#snapshot(record);
  }

  /** The task as it is now; 404 for an unknown id. */
  async snapshot(taskId: string): Promise<TaskSnapshot> {
    return this.#snapshot(await this.#record(taskId));
  }

  /**
   * Takes up the runs a server on this data left running when it died (kill -9, a lost machine): each task
   * executed and not cancelled whose run is still `running`, which only a dead owner leaves so (a server
   * stopped in order leaves its runs `interrupted`, for POST /execute to resume). A run whose owner is alive
   * elsewhere (another server on the same PostgreSQL database) is refused by its lease and left to it.
   * Resolves with the task ids resumed here.
   */
  async resumeAbandoned(): Promise<string[]> {
    const resumed: string[] = [];
    for (const taskId of await listTaskIds(this.#options.dataDir)) {
      if (this.#closed) break;
      try {
        await this.#lock.run(taskId, async () => {
          const record = await readTaskRecord(this.#options.dataDir, taskId);
          if (record === null || record.cancelledAt !== null || record.executions.length === 0 || this.#active.has(taskId)) return;
          if ((await this.#readState(taskId))?.run.status !== 'running') return;
          await this.#start(taskId);
          resumed.push(taskId);
          log.info('resumed a run its server left running', { taskId });
        });
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'task_conflict') log.info('left a live run to its owner', { taskId });
        else log.warn('could not resume a run its server left running', { taskId, error: describeError(error) });
      }
    }
    return resumed;
  }

  /** Stops every run of this process (as Ctrl-C stops a CLI run: resumable) and waits for them. */
  async close(reason: unknown): Promise<void> {
    this.#closed = true;
    const runs = [...this.#active.values()];
    for (const run of runs) run.controller.abort(reason);
    // A plan under way is let finish: a plan cut short would leave a run with no tasks to resume.
    await Promise.all([...runs.map((run) => run.done), this.#lock.settled()]);
  }

  async #plan(record: TaskRecord): Promise<void> {
    const taskId = record.request.task_id;
    try {
      await runTeam({
        config: this.configFor(taskId),
        feature: featureText(record.request),
        timeScale: this.#options.timeScale,
        stopAfterPlan: true,
        clock: this.#options.now,
      });
    } catch (error) {
      log.warn('planning refused or failed', { taskId, error: describeError(error) });
      throw refusal(taskId, error);
    }
  }

  /**
   * Starts the run in the background; resolves once it has taken the run, so what refuses it (no API key,
   * another owner) is the request's answer rather than a line in the log.
   */
  async #start(taskId: string): Promise<void> {
    this.#refuseWhenClosed();
    const controller = new AbortController();
    let taken = false;
    let onTaken: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      onTaken = resolve;
    });
    const run = runTeam({
      config: this.configFor(taskId),
      resume: true,
      timeScale: this.#options.timeScale,
      clock: this.#options.now,
      signal: controller.signal,
      onStart: () => {
        taken = true;
        onTaken();
      },
    });
    const done = run
      .then((result) => log.info('run ended', { taskId, runId: result.runId, status: result.status }))
      .catch((error: unknown) => {
        if (taken) log.error('run stopped by an error', { taskId, error: describeError(error) });
      })
      .finally(() => this.#active.delete(taskId));
    this.#active.set(taskId, { controller, done });
    await Promise.race([started, run.then(() => undefined)]).catch((error: unknown) => {
      throw refusal(taskId, error);
    });
  }

  #refuseWhenClosed(): void {
    if (this.#closed)
      throw new ServiceError({ status: 503, code: 'shutting_down', message: 'The server is shutting down; try again on its next start.' });
  }

  async #record(taskId: string): Promise<TaskRecord> {
    const record = await readTaskRecord(this.#options.dataDir, taskId);
    if (record === null) throw unknownTask(taskId);
    return record;
  }

  async #readState(taskId: string): Promise<TeamState | null> {
    return withTeamStore(this.configFor(taskId), async (store) => ((await store.exists()) ? store.read() : null), {
      look: true,
      now: this.#options.now,
    });
  }

  async #snapshot(record: TaskRecord): Promise<TaskSnapshot> {
    const taskId = record.request.task_id;
    return { record, state: await this.#readState(taskId), active: this.#active.has(taskId), config: this.configFor(taskId) };
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/** What a run refused before it started means for the request: no agent can work (503), the store holds another run (409), else as it is. */
function refusal(taskId: string, error: unknown): unknown {
  if (error instanceof ProviderError) {
    return new ServiceError({
      status: 503,
      code: 'agent_unavailable',
      message: `No agent can work on task "${taskId}": ${error.message}`,
      cause: error,
    });
  }
  if (error instanceof AgentTeamError && (error.code === 'run_unfinished' || error.code === 'run_owned')) {
    return new ServiceError({ status: 409, code: 'task_conflict', message: `Task "${taskId}": ${error.message}`, cause: error });
  }
  return error;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
