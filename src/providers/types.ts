/** Token usage normalized across providers. `inputTokens` excludes cache reads and writes. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /**
   * Of `outputTokens`, those the model spent on hidden reasoning (OpenAI's reasoning tokens,
   * Anthropic's thinking tokens): already counted and billed as output, never to be added
   * again. Absent when the provider reported none.
   */
  reasoningTokens?: number;
}

/** What a call is for; providers that simulate a team use it to answer in role (`prompt`: a batch job; `role-task`: a role agent's task). */
export type CallPurpose = 'plan' | 'work' | 'resolve' | 'integrate' | 'gate' | 'prompt' | 'role-task';

/** A tool the model may call. */
export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the tool's input object. */
  inputSchema: Record<string, unknown>;
}

/** One answer an agent may give, as JSON Schema: each is offered to the model as its own answer tool (or response format). */
export interface AnswerSchema {
  /** The answer tool's name: letters, digits, `_` and `-`. */
  name: string;
  description?: string;
  /** JSON Schema of the answer (a root that is not an object is wrapped as `{answer: …}` on the wire). */
  schema: Record<string, unknown>;
}

/**
 * How a provider asks for a structured answer: `tools` (one answer tool per purpose, the
 * call's named in tool_choice), `json_schema` (OpenAI-compatible `response_format` with
 * only this call's schema), `prompt` (the schema in the last user message, the answer
 * read from text).
 */
export type StructuredOutputMode = 'tools' | 'json_schema' | 'prompt';

/** A tool call the model made. */
export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** One conversation turn: text, an assistant turn with tool calls, or a tool's result. */
export type Message =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; toolName: string; content: string; isError?: boolean };

/** Who is calling and why; real providers only log it, `sim` answers from it. */
export interface CallMetadata {
  agentId: string;
  role: string;
  purpose: CallPurpose;
  taskId?: string;
  /** True for the one repair request after an answer failed validation. */
  repair?: boolean;
  /** On the one call asked again with more room after an answer stopped at `max_tokens`: that answer's `maxTokens`. */
  raisedFromMaxTokens?: number;
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
  /** Tools the model may call; its answer then may carry `toolCalls` (stopReason 'tool_use'). */
  tools?: ToolSpec[];
  /** 'auto' (default), 'any' (must call one), or one tool by name. */
  toolChoice?: 'auto' | 'any' | { name: string };
  /** JSON Schema this call's answer must follow (structured output). */
  responseJsonSchema?: Record<string, unknown>;
  /** Name of this call's answer; with `answerSchemas`, the one of them this call must answer with. */
  responseName?: string;
  /**
   * Every answer the calling agent may give, in a fixed order, sent on each of its calls
   * so the cached prefix (tools) stays identical; `responseName` picks this call's. With
   * tools of its own (a tool loop) the answer tools are added after them and the model
   * must call a tool on every turn; calling an answer tool ends the loop.
   */
  answerSchemas?: readonly AnswerSchema[];
  cacheSystemPrompt?: boolean;
  metadata: CallMetadata;
  /** Parts of the first user message that may be shortened to fit the model's context window; never sent. */
  shortenable?: ShortenableParts;
}

/**
 * Entries of a user message (dependency results) that may be cut, longest first, when
 * a request would not fit the model's context window; `note` goes before the first
 * entry once any is cut.
 */
export interface ShortenableParts {
  /** Each entry exactly as it appears in the message; its first line is always kept. */
  entries: readonly string[];
  note: string;
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
  /** Tool calls, when the model asked for tools. */
  toolCalls?: ToolCall[];
  /**
   * True when the model gave its answer (in `text`) through an answer tool; `toolCalls`
   * beside it are other tools it called in the same turn, still to be run.
   */
  answered?: boolean;
  /** The provider's id of the response or request, for support and logs. */
  requestId?: string;
}

/** The one provider contract every vendor implements. */
export interface LlmProvider {
  readonly name: string;
  /** True when answers are simulated (reports label figures as such). */
  readonly simulated: boolean;
  complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse>;
  /**
   * The input tokens the vendor will count for `request` (tools, system and messages, cached
   * or not), asked of the vendor before the call; only vendors that can count exactly offer it.
   */
  countInputTokens?(request: LlmRequest, signal?: AbortSignal): Promise<number>;
}

/** A zero usage, to start sums from. */
export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/** Adds two usages; reasoning tokens appear in the sum when either reports them. */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
  if (a.reasoningTokens !== undefined || b.reasoningTokens !== undefined) sum.reasoningTokens = reasoningOf(a) + reasoningOf(b);
  return sum;
}

/** The reasoning tokens of a usage, 0 when none were reported. */
export function reasoningOf(usage: Usage): number {
  return usage.reasoningTokens ?? 0;
}

/** A usage with its reasoning tokens, when there are any (a count of 0 is left out). */
export function withReasoning(usage: Usage, reasoningTokens: number | null | undefined): Usage {
  return reasoningTokens === null || reasoningTokens === undefined || reasoningTokens <= 0 ? usage : { ...usage, reasoningTokens };
}

/** All tokens of a usage, input of every kind plus output (reasoning is part of output, not added again). */
export function totalTokens(usage: Usage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}
