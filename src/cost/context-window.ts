import { AgentTeamError } from '../errors/index.js';
import type { LlmRequest } from '../providers/index.js';
import { inputEstimateOf } from './budget-guard.js';
import { modelAlias, type PriceOverride } from './prices.js';

/**
 * Context windows in tokens (input and output together), as the vendors publish
 * them (late 2026): Claude 200k; gpt-4o 128k; gpt-4.1 1,047,576; gpt-5 400k.
 */
export const DEFAULT_CONTEXT_WINDOWS: Readonly<Record<string, number>> = {
  'claude-haiku-3-5': 200_000,
  'claude-haiku-4-5': 200_000,
  'claude-sonnet-4': 200_000,
  'claude-sonnet-4-5': 200_000,
  'claude-sonnet-5': 200_000,
  'claude-opus-4': 200_000,
  'claude-opus-4-1': 200_000,
  'claude-opus-4-5': 200_000,
  'claude-opus-4-6': 200_000,
  'claude-opus-4-7': 200_000,
  'claude-opus-4-8': 200_000,
  'claude-opus-5': 200_000,
  'gpt-4o': 128_000,
  'gpt-4o-mini': 128_000,
  'gpt-4.1': 1_047_576,
  'gpt-4.1-mini': 1_047_576,
  'gpt-4.1-nano': 1_047_576,
  'gpt-5': 400_000,
  'gpt-5.1': 400_000,
  'gpt-5-mini': 400_000,
};

/** The built-in windows with the `context_window` of config's price entries. */
export function contextWindowTable(overrides: Readonly<Record<string, PriceOverride>>): Readonly<Record<string, number>> {
  const table: Record<string, number> = { ...DEFAULT_CONTEXT_WINDOWS };
  for (const [model, price] of Object.entries(overrides)) {
    if (price.context_window !== undefined) table[model] = price.context_window;
  }
  return table;
}

/** A model's context window; null for a model the table does not know (no check is made). */
export function contextWindowOf(model: string, table: Readonly<Record<string, number>> = DEFAULT_CONTEXT_WINDOWS): number | null {
  return table[model] ?? table[modelAlias(model)] ?? null;
}

/** What a request needs of a context window: its estimated input (tools and schema included) plus `max_tokens`. */
export function contextEstimateOf(request: LlmRequest, simulated: boolean): number {
  return inputEstimateOf({ request, simulated, definitions: true }) + request.maxTokens;
}

/** A request does not fit the model's context window even shortened: it is not sent, and nothing is spent. */
export class ContextWindowExceededError extends AgentTeamError {
  readonly agentId: string;
  readonly taskId: string | null;
  readonly model: string;
  readonly estimate: number;
  readonly window: number;

  constructor(input: { agentId: string; taskId: string | null; model: string; estimate: number; maxTokens: number; window: number }) {
    const task = input.taskId === null ? '' : ` on task ${input.taskId}`;
    super(
      'context_window_exceeded',
      `The request of ${input.agentId}${task} needs about ${input.estimate} tokens (estimated input plus max_tokens ${input.maxTokens}), ` +
        `more than the ${input.window}-token context window of ${input.model}, even with dependency results and earlier tool output shortened. ` +
        'It was not sent and nothing was spent. Lower max_tokens in .ai-agents/config.yml, split the task, or use a model with a larger window.',
    );
    this.agentId = input.agentId;
    this.taskId = input.taskId;
    this.model = input.model;
    this.estimate = input.estimate;
    this.window = input.window;
  }
}
