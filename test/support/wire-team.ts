/**
 * A team in front of local Anthropic and OpenAI wire-protocol servers, both
 * answering in role with the team brain: for whole-run tests and benchmarks.
 */
import { start as startAnthropic, type AnthropicServer } from './anthropic-server.js';
import { startOpenAIServer, type OpenAIServer } from './openai-server.js';
import { grammarAnswer } from './grammar-answer.js';
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

/** How the servers answer besides the brain's choices. */
export interface WireTeamOptions extends BrainOptions {
  minCacheTokens?: number;
  openaiReasoningTokens?: number;
  /**
   * Answer like a grammar-constrained model at its most careless: the minimal value the
   * forced tool's (or response_format's) schema allows, first union branch and first enum
   * value (see grammarAnswer), whatever the call asked for.
   */
  grammar?: boolean;
  /** How a call with no answer tool and no response_format (prompt mode) is answered: bare JSON, or a sentence and a ```json fence. */
  textAnswer?: 'bare' | 'fenced';
}

function textReply(answer: unknown, style: WireTeamOptions['textAnswer']): string {
  const json = JSON.stringify(answer);
  return style === 'fenced' ? `Here is my answer, as you asked:\n\n\`\`\`json\n${json}\n\`\`\`\n` : json;
}

/** Starts both servers with the brain as their default answer. */
export async function startWireTeam(options: WireTeamOptions = {}): Promise<WireTeamServers> {
  const answerIn = (schema: unknown, user: string): unknown =>
    options.grammar === true ? grammarAnswer(schema as Record<string, unknown>) : shaped(schema, answerFor(user, options));
  const anthropic = await startAnthropic({
    minCacheTokens: options.minCacheTokens ?? 1024,
    fallback: (recorded) => {
      const body = recorded.body;
      const user = lastUserText(body.messages);
      const forced = body.tool_choice?.type === 'tool' ? body.tools?.find((tool) => tool.name === body.tool_choice?.name) : undefined;
      // No forced answer tool: prompt mode, the answer is text.
      if (forced === undefined) return { kind: 'text', text: textReply(answerFor(user, options), options.textAnswer) };
      return { kind: 'structured', input: answerIn(forced.input_schema, user) };
    },
  });
  const openai = await startOpenAIServer({
    defaultReply: (body) => {
      const user = lastUserText(body.messages as { role: string; content: unknown }[]);
      const reasoning = options.openaiReasoningTokens === undefined ? {} : { reasoningTokens: options.openaiReasoningTokens };
      const choice = body.tool_choice;
      if (typeof choice === 'object' && choice.type === 'function') {
        const tool = (body.tools ?? []).find(
          (candidate) => candidate.type === 'function' && candidate.function.name === choice.function.name,
        );
        const parameters = tool?.type === 'function' ? tool.function.parameters : undefined;
        return { toolCalls: [{ name: choice.function.name, arguments: answerIn(parameters, user) }], ...reasoning };
      }
      const format = body.response_format as { json_schema?: { schema?: unknown } } | undefined;
      if (format?.json_schema !== undefined) return { json: answerIn(format.json_schema.schema, user), ...reasoning };
      return { text: textReply(answerFor(user, options), options.textAnswer), ...reasoning };
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
  input: {
    agentsYml: string;
    anthropic: string;
    openai?: string;
    /** The run's provider (default anthropic). */
    provider?: 'anthropic' | 'openai';
    /** `providers.<name>.structured_output` of each provider, when not the default. */
    structuredOutput?: { anthropic?: string; openai?: string };
  },
): Promise<void> {
  process.env[WIRE_KEY_ENV.anthropic] = 'sk-ant-test-0000000000';
  const modes = input.structuredOutput ?? {};
  const providers: Record<string, { base_url: string; api_key_env: string; structured_output?: string }> = {
    anthropic: {
      base_url: input.anthropic,
      api_key_env: WIRE_KEY_ENV.anthropic,
      ...(modes.anthropic === undefined ? {} : { structured_output: modes.anthropic }),
    },
  };
  if (input.openai !== undefined) {
    process.env[WIRE_KEY_ENV.openai] = 'sk-test-openai-000000000000';
    providers['openai'] = {
      base_url: input.openai,
      api_key_env: WIRE_KEY_ENV.openai,
      ...(modes.openai === undefined ? {} : { structured_output: modes.openai }),
    };
  }
  await project.write('.ai-agents/config.yml', input.agentsYml);
  await project.write(
    'orchestrator-config.json',
    JSON.stringify({ agents: DEFAULT_ROSTER, budget: { max_usd: 5 }, provider: { name: input.provider ?? 'anthropic' }, providers }),
  );
}

/** Removes the test keys writeWireTeamProject set. */
export function clearWireTeamKeys(): void {
  for (const name of Object.values(WIRE_KEY_ENV)) delete process.env[name];
}

/** The agents file of an all-Claude team of five roles (manager, two developers, QA, a Haiku reviewer). */
export const CLAUDE_TEAM_YML = `
tiers: { simple: claude-haiku-4-5, medium: claude-sonnet-5, complex: claude-opus-4-5 }
agents:
  team_manager: { base: base/manager.md, model: claude-sonnet-5, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, model: claude-haiku-4-5, max_tokens: 4000 }
`;
