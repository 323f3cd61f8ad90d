/**
 * A team in front of local Anthropic and OpenAI wire-protocol servers, both
 * answering in role with the team brain: for whole-run tests and benchmarks.
 */
import { start as startAnthropic, type AnthropicServer } from './anthropic-server.js';
import { startOpenAIServer, type OpenAIServer } from './openai-server.js';
import { answerFor, lastUserText, type BrainOptions } from './team-brain.js';

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
