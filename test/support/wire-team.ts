/**
 * A team in front of local Anthropic and OpenAI wire-protocol servers, both
 * answering in role with the team brain: for whole-run tests and benchmarks.
 */
import { start as startAnthropic, type AnthropicServer } from './anthropic-server.js';
import { startOpenAIServer, type OpenAIServer } from './openai-server.js';
import { answerFor, lastUserText, type BrainOptions } from './team-brain.js';
import { DEFAULT_ROSTER } from './team-fixture.js';
import type { TempProject } from './temp-project.js';

/** Our adapters wrap a non-object schema as {answer: …}: answer in the same shape. */
export function shaped(schema: unknown, answer: unknown): unknown {
  const root = schema as { properties?: Record<string, unknown>; required?: string[] } | undefined;
  const wrapped =
    root?.properties?.['answer'] !== undefined && root.required?.includes('answer') === true && Object.keys(root.properties).length === 1;
  return wrapped ? { answer } : answer;
}

/** Both servers, answering every call in role. */
export interface WireTeamServers {
  anthropic: AnthropicServer;
  openai: OpenAIServer;
  close(): Promise<void>;
}

/** Starts both servers with the brain as their default answer. */
export async function startWireTeam(
  options: BrainOptions & { minCacheTokens?: number; openaiReasoningTokens?: number } = {},
): Promise<WireTeamServers> {
  const anthropic = await startAnthropic({
    minCacheTokens: options.minCacheTokens ?? 1024,
    fallback: (recorded) => {
      const body = recorded.body;
      const forced = body.tools?.find((tool) => tool.name === body.tool_choice?.name);
      const answer = answerFor(lastUserText(body.messages), options);
      return { kind: 'structured', input: shaped(forced?.input_schema, answer) };
    },
  });
  const openai = await startOpenAIServer({
    defaultReply: (body) => {
      const format = body.response_format as { json_schema?: { schema?: unknown } } | undefined;
      const answer = answerFor(lastUserText(body.messages as { role: string; content: unknown }[]), options);
      const reasoning = options.openaiReasoningTokens === undefined ? {} : { reasoningTokens: options.openaiReasoningTokens };
      return { json: shaped(format?.json_schema?.schema, answer), ...reasoning };
    },
  });
  return {
    anthropic,
    openai,
    close: async () => {
      await Promise.all([anthropic.close(), openai.close()]);
    },
  };
}

/** The environment variables a wire team's config names for its API keys (set to test keys, never real ones). */
const WIRE_KEY_ENV = { anthropic: 'TEAM_TEST_ANTHROPIC_KEY', openai: 'TEAM_TEST_OPENAI_KEY' } as const;

/**
 * Makes `project` a team that talks to the local servers: its roles file, and an
 * orchestrator config with the default roster, a $5 limit, anthropic by default
 * and a base URL per given server, whose test key is set in the environment
 * (clearWireTeamKeys removes them).
 */
export async function writeWireTeamProject(
  project: TempProject,
  input: { agentsYml: string; anthropic: string; openai?: string },
): Promise<void> {
  process.env[WIRE_KEY_ENV.anthropic] = 'sk-ant-test-0000000000';
  const providers: Record<string, { base_url: string; api_key_env: string }> = {
    anthropic: { base_url: input.anthropic, api_key_env: WIRE_KEY_ENV.anthropic },
  };
  if (input.openai !== undefined) {
    process.env[WIRE_KEY_ENV.openai] = 'sk-test-openai-000000000000';
    providers['openai'] = { base_url: input.openai, api_key_env: WIRE_KEY_ENV.openai };
  }
  await project.write('.ai-agents/config.yml', input.agentsYml);
  await project.write(
    'orchestrator-config.json',
    JSON.stringify({ agents: DEFAULT_ROSTER, budget: { max_usd: 5 }, provider: { name: 'anthropic' }, providers }),
  );
}

/** Removes the test keys writeWireTeamProject set. */
export function clearWireTeamKeys(): void {
  for (const name of Object.values(WIRE_KEY_ENV)) delete process.env[name];
}
