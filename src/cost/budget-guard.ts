import { BudgetExceededError, ProviderError } from '../errors/index.js';
import { getLogger } from '../observability/index.js';
import type { LlmRequest } from '../providers/index.js';
import {
  type AgentSpend,
  type BudgetBook,
  type ReserveOutcome,
  releaseReservation,
  reserveBudget,
  settleReservation,
} from './budget-book.js';
import { type InputHold, InputMargins, marginedEstimate, tokenEstimateOf } from './input-hold.js';
import type { ModelPrice } from './prices.js';

const log = getLogger('cost:budget-guard');
// With others holding reservations, look again after this long even without a wake-up.
const DEFAULT_RECHECK_MS = 1000;

/** The budget as the guard sees it: the book, what the guarded agent spent, and whether the run already stopped for budget. */
export interface BudgetSnapshot {
  readonly runId: string;
  readonly book: BudgetBook;
  readonly agentSpent: AgentSpend;
  /** True once the run has stopped for budget: no call gets through any more. */
  readonly exhausted: boolean;
}

/** A refusal that waiting cannot cure. */
export type BudgetRefusal = Extract<ReserveOutcome, { ok: false }>;

/** The budget inside one atomic transaction of its owner. */
export interface BudgetTransaction extends BudgetSnapshot {
  /** Records a refusal that waiting cannot cure, in the same transaction (the owner decides whether the run stops). */
  block(refusal: BudgetRefusal): void;
}

/** Where the book lives: a snapshot to try on, and an atomic read-modify-write of the live book. */
export interface BudgetStore {
  /** A snapshot; what the guard changes in it is never written. */
  read(): Promise<BudgetSnapshot>;
  /** Runs `fn` atomically on the live book; what it changes is kept. */
  update<T>(fn: (budget: BudgetTransaction) => T): Promise<T>;
}

/** Wake-ups when the book may have changed (another call settled or released its reservation). */
export interface BudgetChanges {
  /** Grows with every change; pass it to `wait` so none is missed. */
  readonly version: number;
  /** Resolves on the next change after `sinceVersion`, after `timeoutMs`, or when `signal` aborts. */
  wait(input: { sinceVersion: number; timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void>;
  /** Tells the other waiters that the book changed. */
  notify(): void;
}

/** A call's worst case: tokens and USD it may cost at most. */
export interface WorstCase {
  tokens: number;
  usd: number;
}

/**
 * Our estimate of a request's input tokens: the system prompt and the messages
 * (with `definitions`, also the tools, the answer schema and the tool calls in the
 * conversation). For real vendors, whose tokenizers count more, with the fixed margin.
 */
export function inputEstimateOf(input: { request: LlmRequest; simulated: boolean; definitions?: boolean }): number {
  const estimate = tokenEstimateOf(input.request, input.definitions === true);
  // Our tokenizer is not every vendor's: hold a margin so a real count a little higher still fits.
  return input.simulated ? estimate : marginedEstimate(estimate);
}

/**
 * The worst case of a call: every input token written to the cache (the dearest
 * input) and the whole `max_tokens` of output. The input is counted with our
 * tokenizer; for real vendors, whose tokenizers count more, with a margin.
 */
export function worstCaseOf(input: { request: LlmRequest; price: ModelPrice; simulated: boolean }): WorstCase {
  const { request, price } = input;
  const estimate = inputEstimateOf(input);
  return {
    tokens: estimate + request.maxTokens,
    usd: (estimate * Math.max(price.input, price.cacheWrite) + request.maxTokens * price.output) / 1_000_000,
  };
}

/** What a call holds against the budget: its worst case, and how its input was sized. */
export interface Hold extends WorstCase, InputHold {
  /** The whole `max_tokens` of output. */
  readonly outputTokens: number;
}

/** Asks the vendor for a request's exact input tokens (LlmProvider.countInputTokens). */
export type InputCounter = (request: LlmRequest, signal?: AbortSignal) => Promise<number>;

/** How far a call's reported spend went past its hold (each part 0 when it did not). */
export interface Overshoot {
  readonly overTokens: number;
  readonly overUsd: number;
}

// Float sums of small costs drift; a difference this small is no overshoot.
const EPSILON_USD = 1e-9;

/** The part of a call's reported spend beyond its hold, or null when the hold covered it. */
export function overshootOf(hold: WorstCase, reported: { usd: number; tokens: number }): Overshoot | null {
  const overTokens = Math.max(0, reported.tokens - hold.tokens);
  const overUsd = Math.max(0, reported.usd - hold.usd);
  return overTokens > 0 || overUsd > EPSILON_USD ? { overTokens, overUsd } : null;
}

/** True when the book has any limit: without one a reservation guards nothing. */
function hasLimits(book: BudgetBook): boolean {
  return book.limitUsd !== null || book.limitTokens !== null || book.perAgentUsd !== null || book.perAgentTokens !== null;
}

/**
 * Keeps one agent's calls inside the budget: reserve a call's worst case before it
 * is made (waiting while other calls hold reservations whose settling may free room,
 * stopping with BudgetExceededError when nothing can), then settle the real spend or
 * release the reservation. Concurrent agents never push spend past a limit, because
 * every reservation is taken in the store's atomic update.
 */
export class BudgetGuard {
  readonly #agentId: string;
  readonly #store: BudgetStore;
  readonly #changes: BudgetChanges;
  readonly #recheckMs: number;
  readonly #margins: InputMargins;

  /** `margins`: the ratios learned so far, shared by the guards of one run (a fresh set when left out). */
  constructor(input: { agentId: string; store: BudgetStore; changes: BudgetChanges; recheckMs?: number; margins?: InputMargins }) {
    this.#agentId = input.agentId;
    this.#store = input.store;
    this.#changes = input.changes;
    this.#recheckMs = input.recheckMs ?? DEFAULT_RECHECK_MS;
    this.#margins = input.margins ?? new InputMargins();
  }

  /**
   * What a call must hold: the whole `max_tokens` of output, and its input (every token
   * at the dearest input price) sized as `input-hold.ts` describes: the vendor's own count
   * when `counter` is given (a failed count falls back to the learned margin; after a failure
   * that retrying cannot cure the vendor is not asked again for `key`), else our
   * estimate with the learned margin; simulated providers hold the estimate itself.
   * `key` names the provider and model whose ratios apply.
   */
  async hold(input: {
    request: LlmRequest;
    price: ModelPrice;
    simulated: boolean;
    key: string;
    counter?: InputCounter | undefined;
    signal?: AbortSignal | undefined;
  }): Promise<Hold> {
    const { request, price, simulated, key, counter, signal } = input;
    let held: InputHold;
    if (simulated) {
      // A simulated provider counts with our tokenizer, system and messages only: its estimate is exact.
      const estimate = tokenEstimateOf(request, false);
      held = { basis: 'simulated', inputTokens: estimate, estimate, counted: null };
    } else {
      let counted: number | null = null;
      if (counter !== undefined && this.#margins.counts(key)) {
        try {
          counted = await counter(request, signal);
        } catch (error) {
          signal?.throwIfAborted();
          // A failure that retrying cannot cure (no such endpoint, a refused request) will recur: stop asking.
          const lasting = error instanceof ProviderError && !error.retryable;
          if (lasting) this.#margins.stopCounting(key);
          log.warn('input count failed: holding the learned margin instead', {
            agentId: this.#agentId,
            key,
            lasting,
            error: String(error),
          });
        }
      }
      held = this.#margins.holdOf({ key, estimate: () => tokenEstimateOf(request, true), counted });
    }
    const outputTokens = request.maxTokens;
    return {
      basis: held.basis,
      inputTokens: held.inputTokens,
      counted: held.counted,
      // Read through, so a count-sized hold still computes its estimate only when asked.
      get estimate(): number {
        return held.estimate;
      },
      outputTokens,
      tokens: held.inputTokens + outputTokens,
      usd: (held.inputTokens * Math.max(price.input, price.cacheWrite) + outputTokens * price.output) / 1_000_000,
    };
  }

  /** Learns from the input a vendor reported for a call held by `hold`, so later holds cover as much. */
  observe(input: { key: string; hold: Hold; reportedInput: number }): void {
    this.#margins.observe(input);
  }

  /** True when the budget has any limit (else `reserve` need not be called). */
  async limited(): Promise<boolean> {
    return hasLimits((await this.#store.read()).book);
  }

  /**
   * Reserves `worst` under `reservationId`: waits while others hold reservations that
   * may free room; throws BudgetExceededError (after `block` in the same transaction)
   * when the call can never fit.
   */
  async reserve(input: { reservationId: string; worst: WorstCase; signal?: AbortSignal | undefined }): Promise<void> {
    const { signal } = input;
    for (;;) {
      signal?.throwIfAborted();
      const since = this.#changes.version;
      // A dry run on a snapshot first: waiting for room must not write the book over and over.
      const snapshot = await this.#store.read();
      const dryRun = this.#try({ ...snapshot, book: { ...snapshot.book, reservations: { ...snapshot.book.reservations } } }, input);
      if (!dryRun.ok && dryRun.othersPending) {
        await this.#changes.wait({ sinceVersion: since, timeoutMs: this.#recheckMs, signal });
        continue;
      }
      const outcome = await this.#store.update((budget) => {
        const result = this.#try(budget, input);
        if (!result.ok && !result.othersPending && !budget.exhausted) budget.block(result);
        return result;
      });
      if (outcome.ok || !outcome.othersPending) this.#changes.notify();
      if (outcome.ok) return;
      if (!outcome.othersPending) throw new BudgetExceededError({ runId: snapshot.runId, limit: outcome.limit, detail: outcome.detail });
    }
  }

  /** Replaces a reservation by the call's real spend, inside the caller's own transaction. */
  settle(book: BudgetBook, input: { reservationId: string; usd: number; tokens: number }): void {
    settleReservation({ book, ...input });
  }

  /** Drops a reservation whose call failed, and wakes whoever waits for room. */
  async release(reservationId: string): Promise<void> {
    await this.#store.update((budget) => releaseReservation(budget.book, reservationId));
    this.#changes.notify();
  }

  #try(budget: BudgetSnapshot, input: { reservationId: string; worst: WorstCase }): ReserveOutcome {
    if (budget.exhausted) {
      return { ok: false, limit: 'run', detail: 'the run has reached its budget', perAgent: false, othersPending: false };
    }
    return reserveBudget({
      book: budget.book,
      reservationId: input.reservationId,
      agentId: this.#agentId,
      agentSpent: budget.agentSpent,
      usd: input.worst.usd,
      tokens: input.worst.tokens,
    });
  }
}
