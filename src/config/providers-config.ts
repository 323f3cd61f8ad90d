import { z } from 'zod';

/** Provider names a run or a role may use. */
export const PROVIDER_NAMES = ['sim', 'anthropic', 'openai', 'cli'] as const;
/** A provider name. */
export const providerNameSchema = z.enum(PROVIDER_NAMES);
/** A provider name. */
export type ProviderName = z.infer<typeof providerNameSchema>;

const faultsShape = {
  timeout_seconds: z.number().positive().default(600).describe('Per-request timeout.'),
  max_retries: z.number().int().min(0).default(4).describe('Retries on 408/409/429/5xx/529 and connection errors.'),
  max_retry_after_seconds: z.number().positive().default(60).describe('A longer retry-after from the server is capped to this.'),
  max_concurrent: z.number().int().positive().default(8).describe('Requests in flight at once, per process.'),
  requests_per_minute: z.number().int().positive().nullable().default(null).describe('Throttle: requests per minute (null: none).'),
  tokens_per_minute: z.number().int().positive().nullable().default(null).describe('Throttle: estimated tokens per minute (null: none).'),
};

/** How the Anthropic provider asks for structured answers. */
export const ANTHROPIC_STRUCTURED_OUTPUT = ['auto', 'tools', 'prompt'] as const;
/** How the OpenAI (and OpenAI-compatible) provider asks for structured answers. */
export const OPENAI_STRUCTURED_OUTPUT = ['auto', 'tools', 'json_schema', 'prompt'] as const;

/** An HTTP model API (Anthropic, OpenAI or OpenAI-compatible), with the structured-output modes it offers. */
const apiProviderSchema = <const M extends readonly [string, ...string[]]>(defaultKeyEnv: string, modes: M, modesHelp: string) =>
  z
    .object({
      api_key_env: z.string().default(defaultKeyEnv).describe('Environment variable holding the API key.'),
      base_url: z.string().url().nullable().default(null).describe('API base URL (null: the SDK default or its *_BASE_URL variable).'),
      stream: z.boolean().nullable().default(null).describe('Stream responses (null: only when needed).'),
      structured_output: z
        .enum(modes)
        .default('auto' as M[number])
        .describe(modesHelp),
      ...faultsShape,
    })
    .strict();

/** An external agent command run per call. */
const cliProviderSchema = z
  .object({
    command: z
      .union([z.enum(['claude', 'gemini', 'auggie']), z.array(z.string().min(1)).min(1)])
      .default('claude')
      .describe('A preset (claude, gemini, auggie) or an argv template with {prompt} and {model}; never run through a shell.'),
    timeout_seconds: z.number().positive().default(600).describe('The whole process tree is killed after this.'),
  })
  .strict();

/** Settings of each real provider. */
export const providersConfigSchema = z
  .object({
    anthropic: apiProviderSchema(
      'ANTHROPIC_API_KEY',
      ANTHROPIC_STRUCTURED_OUTPUT,
      'How structured answers are asked for: auto or tools (one answer tool per purpose, the call names its own in tool_choice), prompt (the JSON Schema at the end of the last user message, the answer read from text).',
    ).prefault({}),
    openai: apiProviderSchema(
      'OPENAI_API_KEY',
      OPENAI_STRUCTURED_OUTPUT,
      "How structured answers are asked for: tools (strict answer tools, the call's own named in tool_choice), json_schema (response_format with only this call's schema; for llama.cpp, vLLM, Ollama, LM Studio), prompt (the JSON Schema at the end of the last user message, for servers with neither); auto: tools for OpenAI's own API, json_schema for any other base_url.",
    ).prefault({}),
    cli: cliProviderSchema.prefault({}),
  })
  .strict();
/** Parsed provider settings. */
export type ProvidersConfig = z.infer<typeof providersConfigSchema>;

/** A model price override, USD per million tokens. */
export const modelPriceSchema = z
  .object({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cache_write: z.number().nonnegative().optional().describe('Default: 1.25 x input for claude-*, else input.'),
    cache_read: z.number().nonnegative().optional().describe('Default: 0.1 x input for claude-*, else 0.5 x input.'),
    context_window: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Context window in tokens (input + max_tokens); requests are shortened or refused to fit. Default: the built-in table; none for other models.',
      ),
  })
  .strict();
