export { type AnthropicProviderSettings, createAnthropicProvider } from './anthropic.js';
export { createReplayProvider, loadReplayCassette, type ReplayCassette, withRecording } from './cassette.js';
export { CLI_PRESETS, type CliProviderSettings, createCliProvider } from './cli.js';
export { createOpenAIProvider, type OpenAIProviderSettings } from './openai.js';
export { RetriesExhaustedError, type RetryOptions, withRetries } from './retry.js';
export { hashParts, SeededRandom } from './seeded-random.js';
export type { SimWorkContext } from './sim-context.js';
export {
  BASE_DEFECTS,
  type DefectCounts,
  GATE_CATCH,
  MODEL_FACTOR,
  type ModelClass,
  modelClass,
  QA_CATCH,
  type QualityOutcome,
  type QualityTask,
  REVIEW_CATCH,
  simulateQuality,
} from './sim-quality.js';
export { createSimProvider, type SimProviderSettings } from './sim.js';
export { askStructured, jsonSchemaOf } from './structured-call.js';
export { type ThrottleOptions, withThrottle } from './throttle.js';
export { countTokens, tokenCountBound } from './tokenizer.js';
export {
  addUsage,
  type AnswerSchema,
  type CallPurpose,
  emptyUsage,
  type LlmProvider,
  type LlmRequest,
  type LlmResponse,
  type Message,
  type ShortenableParts,
  type StopReason,
  type StructuredOutputMode,
  type ToolCall,
  type ToolSpec,
  totalTokens,
  type Usage,
} from './types.js';
