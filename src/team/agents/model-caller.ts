import { randomUUID } from 'node:crypto';
import {
  costOf,
  priceOf,
  releaseReservation,
  reserveBudget,
  settleReservation,
  type BudgetBook,
  type ReserveOutcome,
} from '../../cost/index.js';
import type { LedgerEvent, TeamState, UpdateContext } from '../../state/index.js';
import { BudgetExceededError } from '../../errors/index.js';
import { countTokens, totalTokens, type LlmRequest, type LlmResponse } from '../../providers/index.js';
import type { TeamContext } from './team-context.js';
import { Transcript } from './transcript.js';

// Vendors' tokenizers count up to ~20% more than o200k on code and non-English text.
const ESTIMATE_MARGIN = 1.25;

/** Records a finished call in the state: budget, agent usage and the `model-call` event. */
export type SettleCall = (state: TeamState, context: UpdateContext<LedgerEvent>) => void;

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

  /**
   * Calls the provider within budget; throws BudgetExceededError when the call cannot fit.
   * With `deferSettle` the caller must apply the returned `settle` in its own update
   * (so a call and the report it leads to are one commit).
   */
  async call(
    request: LlmRequest,
    signal?: AbortSignal,
    options?: { deferSettle?: boolean },
  ): Promise<LlmResponse & { settle?: SettleCall }> {
    const { store, wake } = this.#context;
    const provider = this.#context.providers.forAgent(this.#agentId);
    const price = priceOf(request.model, this.#context.prices);
    const reservationId = randomUUID();
    const agentId = this.#agentId;
    // Without any limit a reservation guards nothing: skip the estimate and two state updates.
    const limited = await this.#hasLimits();
    let estimate = 0;
    if (limited) {
      estimate = countTokens(request.system);
      for (const message of request.messages) estimate += countTokens(message.content) + 4;
      // Our tokenizer is not every vendor's: hold a margin so a real count a little higher still fits.
      if (!provider.simulated) estimate = Math.ceil(estimate * ESTIMATE_MARGIN) + 64;
    }
    // Worst case: every input token written to the cache (the dearest input) and max output.
    const worstUsd = (estimate * Math.max(price.input, price.cacheWrite) + request.maxTokens * price.output) / 1_000_000;
    const worstTokens = estimate + request.maxTokens;

    while (limited) {
      signal?.throwIfAborted();
      const since = wake.version;
      // A dry run on the snapshot first: waiting for room must not write the state over and over.
      const snapshot = await store.read();
      const dryRun = this.#reserve(
        snapshot,
        { ...snapshot.budget, reservations: { ...snapshot.budget.reservations } },
        reservationId,
        worstUsd,
        worstTokens,
      );
      if (!dryRun.ok && dryRun.othersPending) {
        await wake.wait({ sinceVersion: since, timeoutMs: 1000, signal });
        continue;
      }
      const outcome = await store.update((state, context) => {
        const result = this.#reserve(state, state.budget, reservationId, worstUsd, worstTokens);
        // The run stops when it is out of budget, or when its manager is: nobody else can resolve blockers.
        if (!result.ok && !result.othersPending && state.run.status !== 'budget_exceeded') {
          context.emit({ type: 'budget-block', agentId, limit: result.limit, detail: result.detail });
          if (!result.perAgent || agentId === this.#context.config.manager.id) {
            state.run.status = 'budget_exceeded';
            state.run.endReason = `budget: ${result.limit}: ${result.detail}`;
            state.run.updatedAt = context.now;
          }
        }
        return result;
      });
      if (outcome.ok || !outcome.othersPending) wake.notify();
      if (outcome.ok) break;
      if (!outcome.othersPending) throw budgetError(snapshot.run.id, outcome.limit, outcome.detail);
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
    const costUsd = costOf(response.usage, priceOf(response.model, this.#context.prices));
    const tokens = totalTokens(response.usage);
    const settle: SettleCall = (state, context) => {
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
    };
    await this.#transcript.record({ at: new Date().toISOString(), request, response, costUsd });
    if (options?.deferSettle === true) return { ...response, settle };
    await store.update(settle);
    wake.notify();
    return response;
  }

  async #hasLimits(): Promise<boolean> {
    const { budget } = await this.#context.store.read();
    return budget.limitUsd !== null || budget.limitTokens !== null || budget.perAgentUsd !== null || budget.perAgentTokens !== null;
  }

  /** Applies a deferred settlement on its own. */
  async settle(settle: SettleCall): Promise<void> {
    await this.#context.store.update(settle);
    this.#context.wake.notify();
  }

  /** Tries to reserve the call's worst case in `book` (the state's, or a copy for a dry run). */
  #reserve(state: TeamState, book: BudgetBook, reservationId: string, usd: number, tokens: number): ReserveOutcome {
    if (state.run.status === 'budget_exceeded') {
      return { ok: false, limit: 'run', detail: 'the run has reached its budget', perAgent: false, othersPending: false };
    }
    const agent = state.agents[this.#agentId];
    return reserveBudget({
      book,
      reservationId,
      agentId: this.#agentId,
      agentSpent: { usd: agent?.costUsd ?? 0, tokens: agent === undefined ? 0 : totalTokens(agent.usage) },
      usd,
      tokens,
    });
  }
}
