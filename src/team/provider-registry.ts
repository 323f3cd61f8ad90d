import type { ProvidersConfig, TeamConfig } from '../config/index.js';
import { UsageError } from '../errors/index.js';
import {
  CLI_PRESETS,
  createAnthropicProvider,
  createCliProvider,
  createOpenAIProvider,
  createReplayProvider,
  createSimProvider,
  withRecording,
  withRetries,
  withThrottle,
  type LlmProvider,
} from '../providers/index.js';
import type { RunOptions } from '../state/index.js';

/** The providers of one process of a run: one instance per provider, shared by its agents. */
export interface ProviderRegistry {
  /** The provider an agent calls. */
  forAgent(agentId: string): LlmProvider;
  /** True when every agent's provider is simulated (reports label figures as a forecast). */
  readonly simulated: boolean;
}

/** The provider name each roster agent uses: its role's, else the run's. */
export function providerNameOf(config: TeamConfig, agentId: string, runProvider: string): string {
  const member = config.roster.find((candidate) => candidate.id === agentId);
  return member?.roleConfig.provider ?? runProvider;
}

function apiSettings(settings: ProvidersConfig['anthropic']) {
  return {
    apiKey: process.env[settings.api_key_env],
    ...(settings.base_url === null ? {} : { baseURL: settings.base_url }),
    timeoutMs: settings.timeout_seconds * 1000,
  };
}

function guarded(provider: LlmProvider, settings: ProvidersConfig['anthropic']): LlmProvider {
  // The SDK clients never retry (maxRetries 0): this is the one retry layer. It sits over the
  // throttle so every attempt counts against the rate limits and a backing-off call frees its slot.
  const throttled = withThrottle(provider, {
    maxConcurrent: settings.max_concurrent,
    ...(settings.requests_per_minute === null ? {} : { requestsPerMinute: settings.requests_per_minute }),
    ...(settings.tokens_per_minute === null ? {} : { tokensPerMinute: settings.tokens_per_minute }),
  });
  return withRetries(throttled, { maxRetries: settings.max_retries, maxRetryAfterMs: settings.max_retry_after_seconds * 1000 });
}

function createNamed(name: string, config: TeamConfig, options: RunOptions): LlmProvider {
  const providers = config.orchestrator.providers;
  switch (name) {
    case 'sim':
      return createSimProvider({ seed: options.seed, timeScale: options.timeScale });
    case 'anthropic': {
      const settings = providers.anthropic;
      const provider = createAnthropicProvider({
        ...apiSettings(settings),
        apiKeyEnv: settings.api_key_env,
        stream: settings.stream === null ? 'auto' : settings.stream ? 'always' : 'never',
      });
      return guarded(provider, settings);
    }
    case 'openai': {
      const settings = providers.openai;
      return guarded(createOpenAIProvider({ ...apiSettings(settings), stream: settings.stream === true }), settings);
    }
    case 'cli': {
      const { command, timeout_seconds: timeoutSeconds } = providers.cli;
      return createCliProvider({ command: typeof command === 'string' ? [...CLI_PRESETS[command]] : command, timeoutMs: timeoutSeconds * 1000, cwd: config.projectDir });
    }
    default:
      throw new UsageError(`Unknown provider "${name}". Available: sim, anthropic, openai, cli.`);
  }
}

/**
 * Creates the providers a run needs in this process, eagerly, so a missing API key
 * or a bad cassette is an error before anything is written. A replay cassette
 * answers for every agent; recording wraps each provider.
 */
export function createProviderRegistry(input: { config: TeamConfig; options: RunOptions; override?: LlmProvider | undefined }): ProviderRegistry {
  const { config, options } = input;
  const byName = new Map<string, LlmProvider>();
  const replay = options.replay === null ? undefined : createReplayProvider({ file: options.replay });
  const instance = (name: string): LlmProvider => {
    const known = byName.get(name);
    if (known !== undefined) return known;
    let provider = input.override ?? replay ?? createNamed(name, config, options);
    if (options.record !== null && replay === undefined) provider = withRecording(provider, { file: options.record });
    byName.set(name, provider);
    return provider;
  };
  const perAgent = new Map(config.roster.map((member) => [member.id, instance(providerNameOf(config, member.id, options.provider))]));
  return {
    forAgent(agentId) {
      const provider = perAgent.get(agentId);
      if (provider === undefined) throw new UsageError(`No agent "${agentId}" in the roster.`);
      return provider;
    },
    simulated: [...perAgent.values()].every((provider) => provider.simulated),
  };
}
