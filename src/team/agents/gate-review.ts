import { AgentTeamError } from '../../errors/index.js';
import type { GateConfig } from '../../config/index.js';
import { pickModel } from '../../cost/index.js';
import { composeGateMessage, composeGatePrompt } from '../../prompts/index.js';
import type { LlmRequest } from '../../providers/index.js';
import type { Task } from '../../state/index.js';
import type { BranchDiff } from '../../workspace/index.js';
import { ANSWER_NAMES, GATE_ANSWERS, gateAnswerSchema } from '../tasks/answer-schemas.js';
import { withAgentSpan } from './agent-span.js';
import { ModelCaller, type SettleCall } from './model-caller.js';
import { pathsOverlap } from '../tasks/scheduler.js';
import { callStructured } from './structured-call.js';
import type { TeamContext } from './team-context.js';

// A verdict with its reasons is short; the agent's own max_tokens is sized for code.
const GATE_MAX_TOKENS = 2048;

/** One gate's answer, and its spend to settle with the verdict. */
export interface GateOutcome {
  name: string;
  agentId: string;
  passed: boolean;
  reasons: string[];
  settle?: SettleCall | undefined;
}

/** The gates configured for a task: by its role and by the files it changed. */
export function gatesFor(gates: readonly GateConfig[], task: Pick<Task, 'role'>, filesChanged: readonly string[]): GateConfig[] {
  return gates.filter(
    (gate) =>
      (gate.roles === null || gate.roles.includes(task.role)) &&
      (gate.paths === null || filesChanged.some((file) => gate.paths?.some((path) => pathsOverlap(file, path)) === true)),
  );
}

/**
 * The reviewers a finished task passes before its merge. Each gate is a model call
 * through its agent's provider (the manager's unless configured), with the gate's
 * prompt as the cached system prompt and the task's diff as the message.
 */
export class GateReviewer {
  readonly #context: TeamContext;
  readonly #callers = new Map<string, ModelCaller>();
  readonly #prompts = new Map<string, string>();

  constructor(context: TeamContext) {
    this.#context = context;
    // Composed now: a missing gate prompt fails when the run starts, not at the first merge.
    for (const gate of context.config.orchestrator.workspace.gates)
      this.#prompts.set(gate.name, composeGatePrompt(context.config, gate.name).text);
  }

  /** Runs the gates on a task's diff, all at once; the spend of each is returned to settle with the verdicts. */
  async review(input: {
    task: Task;
    gates: readonly GateConfig[];
    diff: BranchDiff;
    signal?: AbortSignal | undefined;
  }): Promise<GateOutcome[]> {
    return Promise.all(
      input.gates.map((gate) => {
        const agentId = gate.agent ?? this.#context.config.manager.id;
        return withAgentSpan({ agentId, role: `gate:${gate.name}`, purpose: 'gate', task: input.task }, () => this.#one(gate, input));
      }),
    );
  }

  async #one(gate: GateConfig, input: { task: Task; diff: BranchDiff; signal?: AbortSignal | undefined }): Promise<GateOutcome> {
    const { config } = this.#context;
    const agentId = gate.agent ?? config.manager.id;
    const member = config.roster.find((candidate) => candidate.id === agentId);
    if (member === undefined) throw new AgentTeamError('agent_unknown', `gate ${gate.name}: agent ${agentId} is not in the run's roster`);
    let caller = this.#callers.get(agentId);
    if (caller === undefined) {
      caller = new ModelCaller(this.#context, agentId);
      this.#callers.set(agentId, caller);
    }
    const model =
      gate.model ??
      pickModel({
        model: member.roleConfig.model,
        tier: member.roleConfig.tier,
        complexity: 'medium',
        tiers: member.roleConfig.tiers ?? config.agentsConfig.tiers,
      });
    const { task, diff } = input;
    const request: LlmRequest = {
      model,
      system: this.#prompts.get(gate.name) ?? composeGatePrompt(config, gate.name).text,
      messages: [
        { role: 'user', content: composeGateMessage({ task, filesChanged: diff.files, diff: diff.diff, truncated: diff.truncated }) },
      ],
      maxTokens: Math.min(GATE_MAX_TOKENS, member.roleConfig.max_tokens),
      cacheSystemPrompt: true,
      // The gate's prompt is its own cached prefix (not the manager's), with its one answer.
      answerSchemas: GATE_ANSWERS,
      responseName: ANSWER_NAMES.gateVerdict,
      metadata: {
        agentId,
        role: `gate:${gate.name}`,
        purpose: 'gate',
        taskId: task.id,
        context: { gate: gate.name, taskId: task.id, diff: diff.diff },
      },
    };
    const { value, settle } = await callStructured({
      caller,
      request,
      schema: gateAnswerSchema,
      what: `${gate.name} gate verdict`,
      signal: input.signal,
      deferSettle: true,
    });
    return { name: gate.name, agentId, passed: value.passed, reasons: value.reasons, settle };
  }
}
