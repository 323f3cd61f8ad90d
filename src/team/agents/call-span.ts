import type { SpanAttributes } from '../../observability/index.js';
import type { LlmRequest, LlmResponse } from '../../providers/index.js';

/** The name of a model call's span (GenAI conventions: `{operation} {request model}`). */
export function callSpanName(request: LlmRequest): string {
  return `chat ${request.model}`;
}

/** What a model call's span knows before the call: never the prompt, only who asks which model for what. */
export function callRequestAttributes(input: { request: LlmRequest; provider: string }): SpanAttributes {
  const { request } = input;
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': input.provider,
    'gen_ai.request.model': request.model,
    'gen_ai.request.max_tokens': request.maxTokens,
    'gen_ai.agent.id': request.metadata.agentId,
    'gen_ai.agent.name': request.metadata.agentId,
    'agent_team.purpose': request.metadata.purpose,
    'agent_team.repair': request.metadata.repair === true ? true : undefined,
  };
}

/**
 * What the answer adds: model, response id, finish reason, usage (input tokens include cache reads
 * and writes, as the conventions count them; ours exclude them) and the cost in USD (no standard attribute).
 */
export function callResponseAttributes(response: LlmResponse, costUsd: number): SpanAttributes {
  const { usage } = response;
  return {
    'gen_ai.response.model': response.model,
    'gen_ai.response.id': response.requestId,
    'gen_ai.response.finish_reasons': [response.stopReason],
    'gen_ai.usage.input_tokens': usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
    'gen_ai.usage.output_tokens': usage.outputTokens,
    'gen_ai.usage.cache_creation.input_tokens': usage.cacheWriteTokens,
    'gen_ai.usage.cache_read.input_tokens': usage.cacheReadTokens,
    'agent_team.cost_usd': costUsd,
    'agent_team.simulated': response.simulated,
  };
}
