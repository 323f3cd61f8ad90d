import { randomUUID } from 'node:crypto';
import { costOf, priceOf, releaseReservation, reserveBudget, settleReservation } from '../cost/index.js';
import { BudgetExceededError } from '../errors/index.js';
import { countTokens, totalTokens, type LlmRequest, type LlmResponse } from '../providers/index.js';
import type { TeamContext } from './team-context.js';
import { Transcript } from './transcript.js';

/** The run ended for budget reasons while this call waited for room. */
function budgetError(runId: string, limit: string, detail: string): BudgetExceededError {
  return new BudgetExceededError({ runId, limit, detail });
}

/**
 * Makes one agent's model calls: reserves the worst case against the budget,
 * calls the provider, settles the real usage, writes the ledger and the transcript.
 */
export class ModelCaller {
  readonly #context: TeamContext;
  readonly #agentId: string;
  readonly #transcript: Transcript;

  constructor(context: TeamContext, agentId: string) {
    this.#context = context;
    this.#agentId = agentId;
    this.#transcript = new Transcript({ runDir: context.runDir, agentId });
  }

  /** Calls the provider within budget; throws BudgetExceededError when the call cannot fit. */
  async call(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
    const { store, provider, wake } = this.#context;
    const price = priceOf(request.model);
    const reservationId = randomUUID();
    const agentId = this.#agentId;
    // Without any limit a reservation guards nothing: skip the estimate and two state updates.
    const limited = await this.#hasLimits();
    let estimate = 0;
    if (limited) {
      estimate = countTokens(request.system);
      for (const message of request.messages) estimate += countTokens(message.content) + 4;
    }
    // Worst case: every input token written to the cache (the dearest input) and max output.
    const worstUsd = (estimate * Math.max(price.input, price.cacheWrite) + request.maxTokens * price.output) / 1_000_000;
    const worstTokens = estimate + request.maxTokens;

    while (limited) {
      signal?.throwIfAborted();
      const since = wake.version;
      const outcome = await store.update((state, context) => {
        if (state.run.status === 'budget_exceeded') {
          return { ok: false as const, limit: 'run', detail: 'the run has reached its budget', othersPending: false };
        }
        const agent = state.agents[agentId];
        const result = reserveBudget({
          book: state.budget,
          reservationId,
          agentId,
          agentSpent: { usd: agent?.costUsd ?? 0, tokens: agent === undefined ? 0 : totalTokens(agent.usage) },
          usd: worstUsd,
          tokens: worstTokens,
        });
        if (!result.ok && !result.othersPending) {
          context.emit({ type: 'budget-block', agentId, limit: result.limit, detail: result.detail });
          state.run.status = 'budget_exceeded';
          state.run.endReason = `budget: ${result.limit}: ${result.detail}`;
          state.run.updatedAt = context.now;
        }
        return result;
      });
      wake.notify();
      if (outcome.ok) break;
      if (!outcome.othersPending) throw budgetError(await this.#runId(), outcome.limit, outcome.detail);
      // Other calls hold reservations: when they settle there may be room.
      await wake.wait({ sinceVersion: since, timeoutMs: 1000, signal });
    }

    let response: LlmResponse;
    try {
      response = await provider.complete(request, signal);
    } catch (error) {
      if (limited) {
        await store.update((state) => releaseReservation(state.budget, reservationId));
        wake.notify();
      }
      await this.#transcript.record({ at: new Date().toISOString(), request, error: String(error) });
      throw error;
    }
    const costUsd = costOf(response.usage, priceOf(response.model));
    const tokens = totalTokens(response.usage);
    const at = await store.update((state, context) => {
      settleReservation({ book: state.budget, reservationId, usd: costUsd, tokens });
      const agent = state.agents[agentId];
      if (agent !== undefined) {
        agent.usage.inputTokens += response.usage.inputTokens;
        agent.usage.outputTokens += response.usage.outputTokens;
        agent.usage.cacheReadTokens += response.usage.cacheReadTokens;
        agent.usage.cacheWriteTokens += response.usage.cacheWriteTokens;
        agent.costUsd += costUsd;
        agent.calls += 1;
        agent.heartbeatAt = context.now;
      }
      context.emit({
        type: 'model-call',
        agentId,
        taskId: request.metadata.taskId ?? null,
        purpose: request.metadata.purpose,
        provider: provider.name,
        model: response.model,
        usage: response.usage,
        costUsd,
        latencyMs: response.latencyMs,
        simulated: response.simulated,
        repair: request.metadata.repair === true,
      });
      return context.now;
    });
    wake.notify();
    await this.#transcript.record({ at, request, response, costUsd });
    return response;
  }

  async #hasLimits(): Promise<boolean> {
    const { budget } = await this.#context.store.read();
    return budget.limitUsd !== null || budget.limitTokens !== null || budget.perAgentUsd !== null || budget.perAgentTokens !== null;
  }

  async #runId(): Promise<string> {
    return (await this.#context.store.read()).run.id;
  }
}
