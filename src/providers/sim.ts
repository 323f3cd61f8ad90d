import { ProviderError } from '../errors/index.js';
import { SeededRandom, hashParts } from './seeded-random.js';
import { simulateIntegration, simulateResolution, simulateWork } from './sim-answers.js';
import type { SimGateContext, SimIntegrateContext, SimPlanContext, SimResolveContext, SimScenario, SimWorkContext } from './sim-context.js';
import { simulateGate } from './sim-gates.js';
import { simulatePlan } from './sim-plan.js';
import { simulatePrompt } from './sim-prompt.js';
import { simulateToolTurn } from './sim-tools.js';
import { simulateRoleTask, type SimRoleTaskContext } from './sim-roles.js';
import { OUTPUT_TOKEN_MEDIANS, latencyProfile } from './sim-profiles.js';
import { sleep } from './sleep.js';
import { countTokens } from './tokenizer.js';
import type { LlmProvider, LlmRequest, LlmResponse, Usage } from './types.js';

/** Settings of the simulated provider. */
export interface SimProviderSettings {
  /** Same seed, same answers, tokens and latencies. */
  seed: number;
  /** Multiplier on simulated latency: 0 answers at once, 1 takes as long as the real model. */
  timeScale: number;
  /** Every call takes exactly this long (before timeScale) instead of its model's profile; for benchmarks. */
  latencyMs?: number | null;
  /** Replaces the real wait, for tests with fake clocks. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Share of plan tasks whose agent raises a blocker on the first attempt (default 0). */
  blockerRate?: number | undefined;
  /** Workspace runs: share of tasks whose first change carries a flaw the security gate catches (default 0). */
  gateFailureRate?: number | undefined;
  /** Plan exactly this many tasks, for load tests and benchmarks (default: the standard plan). */
  planTasks?: number | null | undefined;
}

// Chat formats add a few tokens of framing per message.
const MESSAGE_OVERHEAD_TOKENS = 4;

function answerFor(request: LlmRequest, scenario: SimScenario): Record<string, unknown> {
  const context = request.metadata.context ?? {};
  const { seed } = scenario;
  switch (request.metadata.purpose) {
    case 'plan':
      return { ...simulatePlan(context as unknown as SimPlanContext, scenario) };
    case 'work':
      return simulateWork(context as unknown as SimWorkContext, scenario);
    case 'resolve':
      return simulateResolution(context as unknown as SimResolveContext, seed);
    case 'integrate':
      return simulateIntegration(context as unknown as SimIntegrateContext);
    case 'gate':
      return simulateGate(context as unknown as SimGateContext);
    case 'role-task':
      return { ...simulateRoleTask(context as unknown as SimRoleTaskContext, seed) };
    case 'prompt':
      throw new ProviderError({
        provider: 'sim',
        message: 'free-form prompts are answered as text, not JSON',
        failure: 'invalid_request',
      });
  }
}

/**
 * A deterministic stand-in for a model: answers in role from the call's metadata,
 * counts input tokens on the real prompt, and draws output tokens and latency from
 * per-model profiles. Its costs use the real price table, so a run is a forecast.
 */
export function createSimProvider(settings: SimProviderSettings): LlmProvider {
  const wait = settings.sleep ?? sleep;
  const scenario: SimScenario = {
    seed: settings.seed,
    blockerRate: settings.blockerRate ?? 0,
    gateFailureRate: settings.gateFailureRate ?? 0,
    planTasks: settings.planTasks ?? null,
  };
  // Which (agent, system prompt) prefixes are already cached, as a provider would.
  const cachedPrefixes = new Set<string>();

  function usageFor(request: LlmRequest, answerText: string, random: SeededRandom, blocked: boolean): Usage {
    const profile = latencyProfile(request.model);
    const systemTokens = countTokens(request.system);
    let messageTokens = 0;
    for (const message of request.messages) messageTokens += countTokens(message.content) + MESSAGE_OVERHEAD_TOKENS;
    const prefixKey = `${request.metadata.agentId}\u0000${hashParts(request.system)}`;
    let cacheReadTokens = 0;
    let cacheWriteTokens = 0;
    const cacheable = request.cacheSystemPrompt !== false && systemTokens >= profile.minCacheTokens;
    if (cacheable && profile.cacheStyle === 'anthropic') {
      if (cachedPrefixes.has(prefixKey)) cacheReadTokens = systemTokens;
      else cacheWriteTokens = systemTokens;
    } else if (cacheable && cachedPrefixes.has(prefixKey)) {
      cacheReadTokens = Math.floor(systemTokens / 128) * 128;
    }
    if (cacheable) cachedPrefixes.add(prefixKey);
    const inputTokens = systemTokens + messageTokens - cacheReadTokens - cacheWriteTokens;

    const purpose = request.metadata.purpose;
    const median = blocked
      ? OUTPUT_TOKEN_MEDIANS.blocked
      : purpose === 'prompt' || purpose === 'role-task'
        ? Math.max(20, countTokens(answerText))
        : purpose === 'plan'
          ? OUTPUT_TOKEN_MEDIANS.plan * Math.max(1, (JSON.parse(answerText) as { tasks: unknown[] }).tasks.length)
          : OUTPUT_TOKEN_MEDIANS[purpose];
    const drawn = Math.round(random.logNormal(median, 0.35));
    const outputTokens = Math.min(request.maxTokens, Math.max(countTokens(answerText), drawn));
    return { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens };
  }

  return {
    name: 'sim',
    simulated: true,
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
      signal?.throwIfAborted();
      const free = request.metadata.purpose === 'prompt';
      // With file tools, a work call is a tool loop: write the task's files, then report.
      const turn =
        request.metadata.purpose === 'work' && request.tools?.some((tool) => tool.name === 'write_file') === true
          ? simulateToolTurn(request, request.metadata.context as unknown as SimWorkContext, scenario)
          : undefined;
      const toolCalls = turn !== undefined && 'toolCalls' in turn ? turn.toolCalls : undefined;
      const answer =
        turn !== undefined && 'report' in turn ? turn.report : free || toolCalls !== undefined ? {} : answerFor(request, scenario);
      const text = free ? simulatePrompt(request, settings.seed) : toolCalls !== undefined ? '' : JSON.stringify(answer);
      const { agentId, taskId, purpose, repair } = request.metadata;
      const random = SeededRandom.for(
        settings.seed,
        'usage',
        agentId,
        taskId ?? '',
        purpose,
        repair === true ? 1 : 0,
        request.messages.length,
        hashParts(text),
      );
      const usage = usageFor(request, text, random, answer['status'] === 'blocked');
      const profile = latencyProfile(request.model);
      const latencyMs = settings.latencyMs ?? Math.round(profile.firstTokenMs + (usage.outputTokens / profile.tokensPerSecond) * 1000);
      if (settings.timeScale > 0) await wait(latencyMs * settings.timeScale, signal);
      return {
        text,
        usage,
        model: request.model,
        stopReason: toolCalls === undefined ? 'end' : 'tool_use',
        latencyMs,
        simulated: true,
        ...(toolCalls === undefined ? {} : { toolCalls }),
      };
    },
  };
}
