import type { ProvidersConfig, TeamConfig } from '../../config/index.js';
import { z } from 'zod';
import { UsageError } from '../../errors/index.js';
import { safeParseDataText } from '../../files/index.js';
import {
  CLI_PRESETS,
  createAnthropicProvider,
  createCliProvider,
  createOpenAIProvider,
  loadReplayCassette,
  createSimProvider,
  withRecording,
  withRetries,
  withThrottle,
  type LlmProvider,
} from '../../providers/index.js';
import type { RunOptions } from '../../state/index.js';

// The argv of a `cli:[...]` agent spec: a command and its arguments, `{prompt}` marking where the prompt goes.
const CLI_COMMAND_SCHEMA = z.array(z.string()).min(1);

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

function apiSettings(settings: ProvidersConfig['anthropic' | 'openai']) {
  return {
    apiKey: process.env[settings.api_key_env],
    ...(settings.base_url === null ? {} : { baseURL: settings.base_url }),
    timeoutMs: settings.timeout_seconds * 1000,
  };
}

function guarded(provider: LlmProvider, settings: ProvidersConfig['anthropic' | 'openai']): LlmProvider {
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
      // The sim's knobs are recorded with the run, so a resumed run and agent processes simulate the same scenario.
      return createSimProvider({
        seed: options.seed,
        timeScale: options.timeScale,
        latencyMs: config.orchestrator.provider.latency_ms,
        blockerRate: options.blockerRate,
        gateFailureRate: options.gateFailureRate,
        planTasks: options.planTasks,
      });
    case 'anthropic': {
      const settings = providers.anthropic;
      const provider = createAnthropicProvider({
        ...apiSettings(settings),
        apiKeyEnv: settings.api_key_env,
        stream: settings.stream === null ? 'auto' : settings.stream ? 'always' : 'never',
        structuredOutput: settings.structured_output,
      });
      return guarded(provider, settings);
    }
    case 'openai': {
      const settings = providers.openai;
      return guarded(
        createOpenAIProvider({ ...apiSettings(settings), stream: settings.stream === true, structuredOutput: settings.structured_output }),
        settings,
      );
    }
    case 'cli': {
      const { command, timeout_seconds: timeoutSeconds } = providers.cli;
      return createCliProvider({
        command: typeof command === 'string' ? [...CLI_PRESETS[command]] : command,
        timeoutMs: timeoutSeconds * 1000,
        cwd: config.projectDir,
      });
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
export function createProviderRegistry(input: {
  config: TeamConfig;
  options: RunOptions;
  override?: LlmProvider | undefined;
}): ProviderRegistry {
  const { config, options } = input;
  const byName = new Map<string, LlmProvider>();
  const replay = options.replay === null ? undefined : loadReplayCassette({ file: options.replay });
  const instance = (name: string): LlmProvider => {
    const known = byName.get(name);
    if (known !== undefined) return known;
    // Each provider name replays under its own name, so a mixed run's calls keep the provider they were recorded with.
    let provider = input.override ?? replay?.provider(name) ?? createNamed(name, config, options);
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

/** A provider and the model to ask, for one job of a batch. */
export interface ResolvedAgentSpec {
  provider: LlmProvider;
  model: string;
  /** How the spec was read, for job records: `anthropic:claude-sonnet-5`, `cli:gemini`, `agent:backend-dev`. */
  label: string;
}

/**
 * Reads a batch job's `agent`: a roster agent id (its role's provider and model),
 * `sim`, `sim:<model>`, `anthropic:<model>`, `openai:<model>`, a CLI agent preset
 * (`claude`, `gemini`, `auggie`), or `cli:<argv template as JSON>`. Providers are
 * created once per name and shared, like the team's.
 */
export function createAgentSpecResolver(input: {
  config: TeamConfig;
  seed: number;
  timeScale: number;
}): (spec: string) => ResolvedAgentSpec {
  const { config } = input;
  const options: RunOptions = {
    provider: config.orchestrator.provider.name,
    seed: input.seed,
    timeScale: input.timeScale,
    blockerRate: 0,
    gateFailureRate: 0,
    planTasks: null,
    configFile: config.configFile,
    runDir: config.runsDir,
    record: null,
    replay: null,
    workspace: null,
  };
  const cache = new Map<string, LlmProvider>();
  const named = (name: string): LlmProvider => {
    const known = cache.get(name);
    if (known !== undefined) return known;
    const provider = createNamed(name, config, options);
    cache.set(name, provider);
    return provider;
  };
  return (spec) => {
    const member = config.roster.find((candidate) => candidate.id === spec);
    if (member !== undefined) {
      const tiers = member.roleConfig.tiers ?? config.agentsConfig.tiers;
      const model = member.roleConfig.model ?? (member.roleConfig.tier === 'auto' ? tiers.medium : tiers[member.roleConfig.tier]);
      return { provider: named(member.roleConfig.provider ?? options.provider), model, label: `agent:${spec}` };
    }
    if (spec in CLI_PRESETS) {
      const key = `cli:${spec}`;
      const provider =
        cache.get(key) ??
        createCliProvider({
          name: spec,
          command: [...CLI_PRESETS[spec as keyof typeof CLI_PRESETS]],
          timeoutMs: config.orchestrator.providers.cli.timeout_seconds * 1000,
          cwd: config.projectDir,
        });
      cache.set(key, provider);
      return { provider, model: spec, label: key };
    }
    if (spec.startsWith('cli:')) {
      const parsed = safeParseDataText({ text: spec.slice(4), where: `agent "${spec}"`, format: 'json', schema: CLI_COMMAND_SCHEMA });
      if (!parsed.ok) {
        throw new UsageError(`Agent "${spec}": after "cli:" give the command as a JSON array, e.g. cli:["my-agent","-p","{prompt}"].`);
      }
      const command = parsed.value;
      const provider =
        cache.get(spec) ??
        createCliProvider({
          command,
          timeoutMs: config.orchestrator.providers.cli.timeout_seconds * 1000,
          cwd: config.projectDir,
        });
      cache.set(spec, provider);
      return { provider, model: 'cli', label: spec };
    }
    const [name, ...rest] = spec.split(':');
    const model = rest.join(':');
    if (name === 'sim')
      return {
        provider: named('sim'),
        model: model === '' ? config.agentsConfig.tiers.medium : model,
        label: `sim:${model === '' ? config.agentsConfig.tiers.medium : model}`,
      };
    if ((name === 'anthropic' || name === 'openai') && model !== '') return { provider: named(name), model, label: spec };
    throw new UsageError(
      `Unknown agent "${spec}". Use a roster agent (${config.roster.map((m) => m.id).join(', ')}), ` +
        'sim, sim:<model>, anthropic:<model>, openai:<model>, claude, gemini, auggie, or cli:[…].',
    );
  };
}
