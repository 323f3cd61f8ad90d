import { randomUUID } from 'node:crypto';
import { BudgetGuard, contextWindowOf, costOf, type Hold, InputMargins, overshootOf, priceOf } from '../../cost/index.js';
import { getLogger, withSpan } from '../../observability/index.js';
import { totalTokens, type LlmRequest, type LlmResponse } from '../../providers/index.js';
import type { TeamContext } from './team-context.js';
import { teamBudgetStore } from './team-budget.js';
import { callSettlement, type SettleCall } from './call-settlement.js';
import { Transcript } from './transcript.js';
import { fitToContextWindow } from './context-fit.js';
import { callRequestAttributes, callResponseAttributes, callSpanName } from './call-span.js';

const log = getLogger('team:model-caller');

// The input ratios vendors showed, learned by every agent of a run in this process (keyed by its store).
const marginsByRun = new WeakMap<object, InputMargins>();

function marginsOf(context: TeamContext): InputMargins {
  const known = marginsByRun.get(context.store);
  if (known !== undefined) return known;
  const margins = new InputMargins();
  marginsByRun.set(context.store, margins);
  return margins;
}

export type { SettleCall } from './call-settlement.js';

/**
 * Makes one agent's model calls: fits the request to the model's context window
 * (or refuses it, before anything is reserved), reserves the worst case against the budget
 * (its input counted by the vendor when the vendor can), calls the provider, settles the real
 * usage (a vendor that reported more than was held stops the run), writes the ledger and the transcript.
 */
export class ModelCaller {
  readonly #context: TeamContext;
  readonly #agentId: string;
  readonly #transcript: Transcript;
  readonly #guard: BudgetGuard;

  constructor(context: TeamContext, agentId: string) {
    this.#context = context;
    this.#agentId = agentId;
    this.#transcript = new Transcript({ runDir: context.runDir, agentId });
    this.#guard = new BudgetGuard({
      agentId,
      changes: context.wake,
      store: teamBudgetStore({ context, agentId }),
      margins: marginsOf(context),
    });
  }

  /**
   * Calls the provider within budget; throws BudgetExceededError when the call cannot fit.
   * With `deferSettle` the caller must apply the returned `settle` in its own update
   * (so a call and the report it leads to are one commit).
   */
  async call(
    wanted: LlmRequest,
    signal?: AbortSignal,
    options?: { deferSettle?: boolean },
  ): Promise<LlmResponse & { settle?: SettleCall }> {
    const { store, wake } = this.#context;
    const provider = this.#context.providers.forAgent(this.#agentId);
    // An unknown model fails here, before any call is made.
    const price = priceOf(wanted.model, this.#context.prices);
    // So does a request too large for the model's window, once shortening could not make it fit.
    const { request, shortened } = fitToContextWindow({
      request: wanted,
      window: contextWindowOf(wanted.model, this.#context.contextWindows),
      simulated: provider.simulated,
    });
    if (shortened) log.info('request shortened to fit the context window', { agentId: this.#agentId, model: request.model });
    const reservationId = randomUUID();
    const agentId = this.#agentId;
    // Without any limit a reservation guards nothing: skip the estimate and two state updates.
    const limited = await this.#guard.limited();
    // Ratios are learned per provider and model: each vendor's tokenizer counts its own way.
    const key = `${provider.name}:${request.model}`;
    let hold: Hold | undefined;
    if (limited) {
      // Only with a limit is a count worth its round trip.
      const counter = provider.countInputTokens?.bind(provider);
      hold = await this.#guard.hold({ request, price, simulated: provider.simulated, key, counter, signal });
      await this.#guard.reserve({ reservationId, worst: hold, signal });
    }

    const { response, costUsd } = await withSpan(
      callSpanName(request),
      { kind: 'client', attributes: callRequestAttributes({ request, provider: provider.name }) },
      async (span) => {
        let answer: LlmResponse;
        try {
          answer = await provider.complete(request, signal);
        } catch (error) {
          if (limited) await this.#guard.release(reservationId);
          await this.#transcript.record({ at: new Date().toISOString(), request, error: String(error) });
          throw error;
        }
        const cost = costOf(answer.usage, priceOf(answer.model, this.#context.prices));
        span.setAttributes(callResponseAttributes(answer, cost));
        return { response: answer, costUsd: cost };
      },
    );
    const tokens = totalTokens(response.usage);
    const overshoot = hold === undefined ? null : overshootOf(hold, { usd: costUsd, tokens });
    if (hold !== undefined) this.#guard.observe({ key, hold, reportedInput: tokens - response.usage.outputTokens });
    if (overshoot !== null) log.warn('a vendor reported more than the call held', { agentId, model: response.model, ...overshoot });
    const event = {
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
      ...(request.metadata.raisedFromMaxTokens === undefined
        ? {}
        : { maxTokens: request.maxTokens, raisedFromMaxTokens: request.metadata.raisedFromMaxTokens }),
    } as const;
    const settle = callSettlement({
      agentId,
      reservationId,
      usage: response.usage,
      costUsd,
      tokens,
      event,
      overshoot:
        hold !== undefined && overshoot !== null && hold.basis !== 'simulated'
          ? {
              type: 'budget-overshoot',
              agentId,
              taskId: request.metadata.taskId ?? null,
              provider: provider.name,
              model: response.model,
              basis: hold.basis,
              heldTokens: hold.tokens,
              reportedTokens: tokens,
              overTokens: overshoot.overTokens,
              heldUsd: hold.usd,
              reportedUsd: costUsd,
              overUsd: overshoot.overUsd,
            }
          : undefined,
    });
    await this.#transcript.record({ at: new Date().toISOString(), request, response, costUsd });
    if (options?.deferSettle === true) return { ...response, settle };
    await store.update(settle);
    wake.notify();
    return response;
  }

  /** Applies a deferred settlement on its own. */
  async settle(settle: SettleCall): Promise<void> {
    await this.#context.store.update(settle);
    this.#context.wake.notify();
  }
}
