/**
 * How many input tokens a call's budget hold covers, so that the hold is an upper bound
 * of what the vendor will bill. Output needs no such care: it never exceeds `max_tokens`.
 *
 * - A vendor that counts exactly before the call (Anthropic's free `count_tokens`) is held
 *   at its own count, with a small margin because the count is documented to be off by a
 *   small amount at times, and never below the highest reported/counted ratio seen.
 * - Any other vendor is held at our o200k estimate times a margin proven by observation:
 *   the highest ratio of reported input to our estimate seen so far for that provider and
 *   model in this process of the run, times a safety factor, and never less than the fixed
 *   margin (1.25× + 64 tokens) that holds before anything is observed.
 * - Simulated providers count with our own tokenizer: held at the estimate itself.
 */
import { countTokens, type LlmRequest } from '../providers/index.js';

// Vendors' tokenizers count up to ~20% more than o200k on code and non-English text.
/** Before any call is observed, real vendors' counts are held at our estimate times this margin… */
export const ESTIMATE_MARGIN = 1.25;
/** …plus this many tokens for message framing our count does not see. */
export const ESTIMATE_SLACK_TOKENS = 64;
/** Over the highest ratio seen: room for a call that counts a little worse than every one before. */
export const LEARNED_SAFETY = 1.05;
/** Over a vendor's own count, which Anthropic documents may differ from the billed one by a small amount. */
export const COUNT_MARGIN = 1.02;

/** How a hold's input was sized. */
export type HoldBasis = 'count' | 'estimate' | 'simulated';

/** A call's held input: its size, how it was sized, and what it was sized from. */
export interface InputHold {
  readonly basis: HoldBasis;
  readonly inputTokens: number;
  /**
   * Our o200k estimate of the request. A hold sized from the vendor's count computes it
   * only when first read (after the call, to learn the ratio), so the tokenizer need not
   * load before a run's first request.
   */
  readonly estimate: number;
  /** The vendor's count, when it gave one. */
  readonly counted: number | null;
}

/**
 * Our o200k count of a request's input: the system prompt and the messages (with
 * `definitions`, also the tools, every answer schema offered and the tool calls in the conversation).
 */
export function tokenEstimateOf(request: LlmRequest, definitions: boolean): number {
  let estimate = countTokens(request.system);
  for (const message of request.messages) {
    estimate += countTokens(message.content) + 4;
    if (definitions && message.role === 'assistant' && message.toolCalls !== undefined) {
      estimate += countTokens(JSON.stringify(message.toolCalls));
    }
  }
  if (definitions) {
    if (request.tools !== undefined) estimate += countTokens(JSON.stringify(request.tools));
    // Every answer the agent may give goes with each call (as tools or a schema), not only this call's.
    const answers = request.answerSchemas ?? [];
    for (const answer of answers) estimate += countTokens(JSON.stringify(answer.schema));
    const offered = answers.some((answer) => answer.name === request.responseName);
    if (request.responseJsonSchema !== undefined && !offered) estimate += countTokens(JSON.stringify(request.responseJsonSchema));
  }
  return estimate;
}

/** The fixed margin: what a real vendor's input is held at before anything is observed. */
export function marginedEstimate(estimate: number): number {
  return Math.ceil(estimate * ESTIMATE_MARGIN) + ESTIMATE_SLACK_TOKENS;
}

/**
 * The ratios vendors have shown, per provider and model (`key`): reported input over our
 * estimate (beyond the fixed slack), and reported input over the vendor's own count.
 * Only ever grows, so a hold is never smaller than one that already proved too small.
 */
export class InputMargins {
  readonly #overEstimate = new Map<string, number>();
  readonly #overCount = new Map<string, number>();
  readonly #noCount = new Set<string>();

  /** False once the vendor refused to count for `key` for good (a server without the endpoint): it is not asked again. */
  counts(key: string): boolean {
    return !this.#noCount.has(key);
  }

  /** Remembers that counting for `key` cannot work. */
  stopCounting(key: string): void {
    this.#noCount.add(key);
  }

  /** The highest reported/estimate ratio seen for `key` (the fixed margin before any). */
  estimateRatio(key: string): number {
    return Math.max(ESTIMATE_MARGIN, (this.#overEstimate.get(key) ?? 0) * LEARNED_SAFETY);
  }

  /** The highest reported/count ratio seen for `key`, 1 before any. */
  countRatio(key: string): number {
    return Math.max(1, this.#overCount.get(key) ?? 1);
  }

  /** The input to hold for a real vendor's call: its count when given, else our estimate, each with its margin. */
  holdOf(input: { key: string; estimate: () => number; counted: number | null }): InputHold {
    const { key, counted } = input;
    if (counted !== null) {
      let estimate: number | undefined;
      return {
        basis: 'count',
        inputTokens: Math.ceil(counted * this.countRatio(key) * COUNT_MARGIN),
        get estimate(): number {
          estimate ??= input.estimate();
          return estimate;
        },
        counted,
      };
    }
    const estimate = input.estimate();
    const inputTokens = Math.ceil(estimate * this.estimateRatio(key)) + ESTIMATE_SLACK_TOKENS;
    return { basis: 'estimate', inputTokens, estimate, counted };
  }

  /** Learns from what the vendor reported for a call held by `hold` (simulated holds teach nothing). */
  observe(input: { key: string; hold: InputHold; reportedInput: number }): void {
    const { key, hold, reportedInput } = input;
    if (hold.basis === 'simulated') return;
    if (hold.estimate > 0) {
      const ratio = (reportedInput - ESTIMATE_SLACK_TOKENS) / hold.estimate;
      this.#overEstimate.set(key, Math.max(this.#overEstimate.get(key) ?? 0, ratio));
    }
    if (hold.counted !== null && hold.counted > 0) {
      this.#overCount.set(key, Math.max(this.#overCount.get(key) ?? 1, reportedInput / hold.counted));
    }
  }
}
