/**
 * A fake LlmProvider for team logic tests (after openai-agents-js `scriptedModel`):
 * answers from queues of scripted steps, records every request, and can prove
 * that the script was used up. No network, no latency, no randomness.
 */
import type { CallPurpose, LlmProvider, LlmRequest, LlmResponse, ToolCall, Usage } from '../../src/providers/index.js';

/** A scripted answer: the text and, optionally, the usage (and model) to report with it. */
export interface ScriptedReply {
  text: string;
  usage?: Partial<Usage> | undefined;
  /** The model the response names; defaults to the request's model. */
  model?: string | undefined;
  /** Tool calls the model makes (the answer then stops for tool use). */
  toolCalls?: ToolCall[] | undefined;
}

/**
 * One scripted step: a response text, a reply with usage, an error to throw, or a
 * reply computed from the request (may be async, to hold a call open).
 */
export type ScriptedStep =
  | string
  | ScriptedReply
  | { error: Error }
  | { respond: (request: LlmRequest, signal?: AbortSignal) => string | ScriptedReply | Promise<string | ScriptedReply> };

/** Which calls a queue answers; unset fields match anything. */
export interface ScriptRoute {
  agentId?: string | undefined;
  purpose?: CallPurpose | undefined;
  taskId?: string | undefined;
}

/** The scripted provider and its controls. */
export interface ScriptedProvider extends LlmProvider {
  /** Adds steps to the shared queue, used by calls no routed queue matches. */
  enqueue(...steps: ScriptedStep[]): this;
  /** Adds steps for the calls that match `route` (the most specific non-empty route wins). */
  enqueueFor(route: ScriptRoute, ...steps: ScriptedStep[]): this;
  /** Every request received, in order (unanswered ones included). */
  readonly calls: readonly LlmRequest[];
  /** The requests that match `route`, in order. */
  callsFor(route: ScriptRoute): LlmRequest[];
  /** Steps not yet consumed, over all queues. */
  remaining(): number;
  /** Throws if any scripted step is left, or if any call found no step. */
  assertComplete(): void;
}

/** The usage a text step reports unless told otherwise. */
export const DEFAULT_SCRIPTED_USAGE: Readonly<Usage> = { inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0 };

interface Queue {
  readonly route: ScriptRoute;
  readonly steps: ScriptedStep[];
}

function matches(route: ScriptRoute, request: LlmRequest): boolean {
  const { agentId, purpose, taskId } = request.metadata;
  return (
    (route.agentId === undefined || route.agentId === agentId) &&
    (route.purpose === undefined || route.purpose === purpose) &&
    (route.taskId === undefined || route.taskId === taskId)
  );
}

function specificity(route: ScriptRoute): number {
  return (route.agentId === undefined ? 0 : 1) + (route.purpose === undefined ? 0 : 1) + (route.taskId === undefined ? 0 : 1);
}

function describeRoute(route: ScriptRoute): string {
  const parts = Object.entries(route).filter(([, value]) => value !== undefined);
  return parts.length === 0 ? 'any call' : parts.map(([key, value]) => `${key}=${String(value)}`).join(', ');
}

function describeCall(request: LlmRequest): string {
  const { agentId, purpose, taskId, repair } = request.metadata;
  return `agent "${agentId}", purpose "${purpose}", task ${taskId === undefined ? '(none)' : `"${taskId}"`}${repair === true ? ' (repair)' : ''}`;
}

/** Creates a scripted provider; `usage` is what text steps report when they do not say. */
export function createScriptedProvider(settings: { usage?: Partial<Usage>; name?: string } = {}): ScriptedProvider {
  const defaultUsage: Usage = { ...DEFAULT_SCRIPTED_USAGE, ...settings.usage };
  const shared: Queue = { route: {}, steps: [] };
  // Routed queues in registration order; the shared queue is the last resort.
  const routed: Queue[] = [];
  const calls: LlmRequest[] = [];
  const unanswered: string[] = [];

  function queueFor(request: LlmRequest): Queue | undefined {
    let best: Queue | undefined;
    for (const queue of routed) {
      if (queue.steps.length === 0 || !matches(queue.route, request)) continue;
      if (best === undefined || specificity(queue.route) > specificity(best.route)) best = queue;
    }
    return best ?? (shared.steps.length > 0 ? shared : undefined);
  }

  function toResponse(request: LlmRequest, reply: string | ScriptedReply): LlmResponse {
    const { text, usage, model, toolCalls } =
      typeof reply === 'string' ? { text: reply, usage: undefined, model: undefined, toolCalls: undefined } : reply;
    return {
      text,
      usage: { ...defaultUsage, ...usage },
      model: model ?? request.model,
      stopReason: toolCalls === undefined || toolCalls.length === 0 ? 'end' : 'tool_use',
      latencyMs: 0,
      simulated: false,
      ...(toolCalls === undefined ? {} : { toolCalls }),
    };
  }

  const provider: ScriptedProvider = {
    name: settings.name ?? 'scripted',
    simulated: false,
    get calls(): readonly LlmRequest[] {
      return calls;
    },
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
      calls.push(request);
      signal?.throwIfAborted();
      const queue = queueFor(request);
      const step = queue?.steps.shift();
      if (step === undefined) {
        const message =
          `scripted provider: no scripted step for call #${calls.length} from ${describeCall(request)}. ` +
          `Script it with enqueue(...) or enqueueFor({ agentId: '${request.metadata.agentId}', purpose: '${request.metadata.purpose}'` +
          `${request.metadata.taskId === undefined ? '' : `, taskId: '${request.metadata.taskId}'`} }, ...).`;
        unanswered.push(message);
        throw new Error(message);
      }
      if (typeof step === 'string') return toResponse(request, step);
      if ('error' in step) throw step.error;
      if ('respond' in step) return toResponse(request, await step.respond(request, signal));
      return toResponse(request, step);
    },
    enqueue(...steps: ScriptedStep[]) {
      shared.steps.push(...steps);
      return this;
    },
    enqueueFor(route: ScriptRoute, ...steps: ScriptedStep[]) {
      // Steps for an identical route join its queue, so their order is kept.
      const existing = routed.find(
        (queue) => queue.route.agentId === route.agentId && queue.route.purpose === route.purpose && queue.route.taskId === route.taskId,
      );
      if (existing === undefined) routed.push({ route: { ...route }, steps: [...steps] });
      else existing.steps.push(...steps);
      return this;
    },
    callsFor(route: ScriptRoute): LlmRequest[] {
      return calls.filter((request) => matches(route, request));
    },
    remaining(): number {
      return [shared, ...routed].reduce((sum, queue) => sum + queue.steps.length, 0);
    },
    assertComplete(): void {
      const left = [shared, ...routed]
        .filter((queue) => queue.steps.length > 0)
        .map((queue) => `${queue.steps.length} step(s) for ${describeRoute(queue.route)}`);
      const problems = [
        ...(left.length === 0 ? [] : [`unconsumed: ${left.join('; ')}`]),
        ...unanswered.map((message) => `unanswered: ${message}`),
      ];
      if (problems.length > 0) {
        throw new Error(
          `scripted provider: the script does not match the calls made (${calls.length} call(s)):\n- ${problems.join('\n- ')}`,
        );
      }
    },
  };
  return provider;
}
