/** Token usage normalized across providers. `inputTokens` excludes cache reads and writes. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** What a call is for; providers that simulate a team use it to answer in role. */
export type CallPurpose = 'plan' | 'work' | 'resolve' | 'integrate';

/** One conversation turn. */
export interface Message {
  role: 'user' | 'assistant';
  content: string;
}

/** Who is calling and why; real providers only log it, `sim` answers from it. */
export interface CallMetadata {
  agentId: string;
  role: string;
  purpose: CallPurpose;
  taskId?: string;
  /** True for the one repair request after an answer failed validation. */
  repair?: boolean;
  /** Facts the `sim` provider needs to answer in role (feature, roster, task, blocker…). */
  context?: Record<string, unknown>;
}

/** A model call, in provider-neutral terms. */
export interface LlmRequest {
  model: string;
  /** Stable system prompt: the cacheable prefix. */
  system: string;
  messages: Message[];
  maxTokens: number;
  temperature?: number;
  /** JSON Schema the answer must follow (structured output). */
  responseJsonSchema?: Record<string, unknown>;
  /** Name of the structured answer, for providers that need one. */
  responseName?: string;
  cacheSystemPrompt?: boolean;
  metadata: CallMetadata;
}

/** Why the model stopped. */
export type StopReason = 'end' | 'max_tokens' | 'refusal' | 'tool_use' | 'other';

/** A model's answer, in provider-neutral terms. */
export interface LlmResponse {
  text: string;
  usage: Usage;
  model: string;
  stopReason: StopReason;
  /** Model latency in ms as the provider measured (or simulated) it. */
  latencyMs: number;
  /** True when the answer was simulated rather than produced by a model. */
  simulated: boolean;
}

/** The one provider contract every vendor implements. */
export interface LlmProvider {
  readonly name: string;
  /** True when answers are simulated (reports label figures as such). */
  readonly simulated: boolean;
  complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse>;
}

/** A zero usage, to start sums from. */
export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/** Adds two usages. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

/** All tokens of a usage, input of every kind plus output. */
export function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}
