import {
  composeIntegrateMessage,
  composePlanMessage,
  composeResolveMessage,
  composeSystemPrompt,
  type PlanLine,
  type RosterRole,
  type TaskLine,
} from '../../prompts/index.js';
import type { AnswerSchema, CallPurpose, LlmRequest } from '../../providers/index.js';
import type { Blocker, Task, TeamState } from '../../state/index.js';
import { pickModel } from '../../cost/index.js';
import {
  ANSWER_NAMES,
  integrationSchema,
  managerAnswers,
  planSchema,
  resolutionSchema,
  type Integration,
  type Plan,
  type Resolution,
} from '../tasks/answer-schemas.js';
import { withAgentSpan } from './agent-span.js';
import { ModelCaller, type SettleCall } from './model-caller.js';
import { planProblems } from '../tasks/plan-graph.js';
import { isPlannedTaskId } from '../tasks/apply-resolution.js';
import { callStructured } from './structured-call.js';
import { dependencyResults, taskFacts } from '../tasks/work-context.js';
import type { TeamContext } from './team-context.js';
import { taskById } from '../tasks/task-lookup.js';

/** The roster's worker roles with their agents, in roster order. */
export function workerRoles(context: TeamContext): RosterRole[] {
  const roles = new Map<string, string[]>();
  for (const member of context.config.roster) {
    if (member.isManager) continue;
    roles.set(member.role, [...(roles.get(member.role) ?? []), member.id]);
  }
  return [...roles].map(([role, agentIds]) => ({ role, agentIds }));
}

/** The tasks as the integration request lists them, each with how much its summary matters. */
function taskLines(state: TeamState): TaskLine[] {
  const dependedOn = new Set(state.tasks.flatMap((task) => task.dependsOn));
  const blocked = new Set(state.blockers.map((blocker) => blocker.taskId));
  return state.tasks.map((task) => {
    const problem = task.status !== 'done' || blocked.has(task.id) || task.attempts > 0 || task.gates.some((verdict) => !verdict.passed);
    return {
      id: task.id,
      title: task.title,
      status: task.status,
      files: task.result?.filesChanged ?? task.files,
      summary: task.result?.summary ?? null,
      failure: task.failure,
      focus: problem ? 'problem' : dependedOn.has(task.id) ? 'other' : 'chain-end',
    };
  });
}

/**
 * The manager's three model calls: plan the feature, resolve a blocker, write the
 * integration summary. Each answer is structured output validated with zod; plans
 * are also checked for unknown roles, dangling dependencies and cycles.
 */
export class Manager {
  readonly #context: TeamContext;
  readonly #caller: ModelCaller;

  readonly #systemPrompt: string;
  /**
   * Every answer the manager gives (plan, resolution, integration), built once from the
   * roster and sent on each call in this order: the answer tools are part of the cached
   * prefix, so they never change within a run; each call names its own in tool_choice.
   */
  readonly #answers: AnswerSchema[];

  constructor(context: TeamContext) {
    this.#context = context;
    this.#caller = new ModelCaller(context, context.config.manager.id);
    this.#systemPrompt = composeSystemPrompt(context.config, context.config.manager.id).text;
    this.#answers = managerAnswers(workerRoles(context).map((entry) => entry.role));
  }

  #request(
    purpose: CallPurpose,
    answer: string,
    content: string,
    extra: { taskId?: string; complexity?: 'simple' | 'medium' | 'complex'; context: Record<string, unknown> },
  ): LlmRequest {
    const { config } = this.#context;
    const manager = config.manager;
    return {
      model: pickModel({
        model: manager.roleConfig.model,
        tier: manager.roleConfig.tier,
        complexity: extra.complexity ?? null,
        tiers: manager.roleConfig.tiers ?? config.agentsConfig.tiers,
      }),
      system: this.#systemPrompt,
      messages: [{ role: 'user', content }],
      maxTokens: manager.roleConfig.max_tokens,
      cacheSystemPrompt: true,
      answerSchemas: this.#answers,
      responseName: answer,
      ...this.#schemaOf(answer),
      metadata: {
        agentId: manager.id,
        role: manager.role,
        purpose,
        ...(extra.taskId === undefined ? {} : { taskId: extra.taskId }),
        context: extra.context,
      },
    };
  }

  #schemaOf(answer: string): { responseJsonSchema?: Record<string, unknown> } {
    const schema = this.#answers.find((candidate) => candidate.name === answer)?.schema;
    return schema === undefined ? {} : { responseJsonSchema: schema };
  }

  /** Plans the feature into a validated task graph. */
  plan(input: { feature: string; signal?: AbortSignal | undefined }): Promise<Plan> {
    return this.#asAgent('plan', undefined, () => this.#plan(input));
  }

  async #plan(input: { feature: string; signal?: AbortSignal | undefined }): Promise<Plan> {
    const roles = workerRoles(this.#context);
    const request = this.#request('plan', ANSWER_NAMES.plan, composePlanMessage({ feature: input.feature, roles }), {
      complexity: 'complex',
      context: { feature: input.feature, roles },
    });
    const { value } = await callStructured({
      caller: this.#caller,
      request,
      schema: planSchema,
      what: 'plan',
      check: (plan) => planProblems(plan, { workerRoles: roles.map((r) => r.role), managerRole: this.#context.config.manager.role }),
      signal: input.signal,
    });
    return value;
  }

  /** Answers one blocker: an answer, a new prerequisite task, a reassignment, or failing the task. The caller applies `settle` with the resolution. */
  resolve(input: {
    state: TeamState;
    blocker: Blocker;
    signal?: AbortSignal | undefined;
  }): Promise<{ resolution: Resolution; settle?: SettleCall | undefined }> {
    const task = taskById(input.state.tasks, input.blocker.taskId);
    return this.#asAgent('resolve', task, () => this.#resolve(input));
  }

  async #resolve(input: {
    state: TeamState;
    blocker: Blocker;
    signal?: AbortSignal | undefined;
  }): Promise<{ resolution: Resolution; settle?: SettleCall | undefined }> {
    const { state, blocker } = input;
    const task = taskById(state.tasks, blocker.taskId);
    if (task === undefined) return { resolution: { kind: 'fail', answer: `task ${blocker.taskId} does not exist` } };
    const roles = workerRoles(this.#context);
    const earlier = state.blockers
      .filter((other) => other.taskId === task.id && other.status === 'resolved' && other.resolution !== null)
      .map((other) => ({ question: other.question, resolution: other.resolution as string }));
    const content = composeResolveMessage({
      feature: state.run.feature,
      roles,
      task: { id: task.id, title: task.title, description: task.description, role: task.role, raisedBy: blocker.raisedBy },
      question: blocker.question,
      kind: blocker.kind,
      earlier,
      // Only the manager's plan: prerequisites added meanwhile depend on timing.
      plan: planLines(state.tasks),
      near: isPlannedTaskId(task.id) ? undefined : [...task.dependsOn, ...waitingFor(state.tasks, task.id)],
      dependencies: dependencyResults(state, task).map(({ id, title, summary }) => ({ id, title, summary })),
    });
    const request = this.#request('resolve', ANSWER_NAMES.resolution, content, {
      taskId: task.id,
      complexity: task.complexity,
      context: {
        blockerId: blocker.id,
        kind: blocker.kind,
        question: blocker.question,
        task: taskFacts(task),
        roles: roles.map((r) => r.role),
      },
    });
    const roleNames = roles.map((r) => r.role);
    const { value, settle } = await callStructured({
      caller: this.#caller,
      request,
      deferSettle: true,
      schema: resolutionSchema,
      what: 'blocker resolution',
      check: (resolution) => {
        if (resolution.kind === 'reassign' && (!roleNames.includes(resolution.role) || resolution.role === task.role)) {
          return [`role: expected a roster role other than "${task.role}" (${roleNames.join(', ')}), found "${resolution.role}"`];
        }
        if (resolution.kind === 'new_task' && !roleNames.includes(resolution.task.role)) {
          return [`task.role: unknown role "${resolution.task.role}"; expected one of ${roleNames.join(', ')}`];
        }
        return [];
      },
      signal: input.signal,
    });
    return { resolution: value, settle };
  }

  /** Writes the final integration summary from the task results. */
  integrate(input: { state: TeamState; signal?: AbortSignal | undefined }): Promise<Integration> {
    return this.#asAgent('integrate', undefined, () => this.#integrate(input));
  }

  /** The manager's piece of work in its `invoke_agent` span (about a task when it resolves one's blocker). */
  #asAgent<T>(purpose: string, task: Task | undefined, fn: () => Promise<T>): Promise<T> {
    const { id, role } = this.#context.config.manager;
    return withAgentSpan({ agentId: id, role, purpose, task }, fn);
  }

  async #integrate(input: { state: TeamState; signal?: AbortSignal | undefined }): Promise<Integration> {
    const tasks = taskLines(input.state);
    const request = this.#request(
      'integrate',
      ANSWER_NAMES.integration,
      composeIntegrateMessage({ feature: input.state.run.feature, tasks }),
      {
        context: {
          feature: input.state.run.feature,
          tasks: tasks.map((t) => ({ id: t.id, title: t.title, status: t.status, summary: t.summary })),
        },
      },
    );
    const { value } = await callStructured({
      caller: this.#caller,
      request,
      schema: integrationSchema,
      what: 'integration summary',
      signal: input.signal,
    });
    return value;
  }
}

// The plan the manager read last (frozen), and the tasks it was read from.
let lastPlan: { tasks: readonly Task[]; lines: readonly PlanLine[] } = { tasks: [], lines: Object.freeze([]) };

/**
 * The manager's plan among `tasks` as it reads it when resolving: the planned tasks, each with the planned tasks it
 * depends on (prerequisites added since are left out: they depend on timing). Kept, the same frozen lines, while the
 * plan reads the same.
 */
function planLines(tasks: readonly Task[]): readonly PlanLine[] {
  if (!samePlan(lastPlan.tasks, tasks)) {
    const lines = tasks
      .filter((candidate) => isPlannedTaskId(candidate.id))
      .map(({ id, title, role, dependsOn }) => Object.freeze({ id, title, role, dependsOn: Object.freeze(plannedOf(dependsOn)) }));
    lastPlan = { tasks, lines: Object.freeze(lines) };
  } else lastPlan = { tasks, lines: lastPlan.lines };
  return lastPlan.lines;
}

function plannedOf(ids: readonly string[]): string[] {
  return ids.filter(isPlannedTaskId);
}

/**
 * True when the plan reads the same in `tasks` as in `before`: every task of `before` is still in its place (the
 * same object, which a version read from a store keeps for a task that did not change, or one with the same id, title,
 * role and planned dependencies), and the tasks after them are prerequisites.
 */
function samePlan(before: readonly Task[], tasks: readonly Task[]): boolean {
  if (tasks === before) return true;
  if (tasks.length < before.length || before.length === 0) return false;
  for (let index = 0; index < before.length; index += 1) {
    const task = tasks[index] as Task;
    const was = before[index] as Task;
    if (task === was) continue;
    if (task.id !== was.id || task.title !== was.title || task.role !== was.role) return false;
    if (isPlannedTaskId(task.id) && task.dependsOn !== was.dependsOn) {
      const now = plannedOf(task.dependsOn);
      const then = plannedOf(was.dependsOn);
      if (now.length !== then.length || now.some((id, at) => id !== then[at])) return false;
    }
  }
  for (let index = before.length; index < tasks.length; index += 1) if (isPlannedTaskId((tasks[index] as Task).id)) return false;
  return true;
}

/** The ids of the tasks that depend on `id`. */
function waitingFor(tasks: readonly Task[], id: string): string[] {
  return tasks.filter((candidate) => candidate.dependsOn.includes(id)).map((candidate) => candidate.id);
}
