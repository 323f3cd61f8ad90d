/**
 * `structured_output: prompt`, for servers with neither response_format nor tool calls:
 * no answer schema travels as a parameter; the call's schema is at the end of its last
 * user message (the system prompt, the cached prefix, is untouched), and the answer is
 * read from the text — here a sentence and a ```json fence, accepted without a repair.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { jsonSchemaOf } from '../../../src/providers/index.js';
import { runTeam } from '../../../src/team/index.js';
import { integrationSchema } from '../../../src/team/tasks/answer-schemas.js';
import { readEntries } from '../../support/ledger.js';
import { lastUserText } from '../../support/team-brain.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { clearWireTeamKeys, startWireTeam, type WireTeamServers, writeWireTeamProject } from '../../support/wire-team.js';

const GPT_YML = `
agents:
  team_manager: { base: base/manager.md, model: gpt-4.1, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, model: gpt-4.1-mini, max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, model: gpt-4.1-mini, max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, model: gpt-4.1-mini, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, model: gpt-4.1-mini, max_tokens: 4000 }
`;
const CLAUDE_YML = GPT_YML.replaceAll('gpt-4.1-mini', 'claude-haiku-4-5').replaceAll('gpt-4.1', 'claude-sonnet-5');
const HEADING = '## Answer format';

let project: TempProject | undefined;
let servers: WireTeamServers | undefined;

afterEach(async () => {
  await servers?.close();
  await project?.cleanup();
  clearWireTeamKeys();
});

async function promptModeRun(provider: 'anthropic' | 'openai'): Promise<{ servers: WireTeamServers }> {
  servers = await startWireTeam({ blockOnce: ['T2'], textAnswer: 'fenced' });
  project = await tempProject();
  await writeWireTeamProject(project, {
    agentsYml: provider === 'openai' ? GPT_YML : CLAUDE_YML,
    anthropic: servers.anthropic.url,
    openai: servers.openai.url,
    provider,
    structuredOutput: { [provider]: 'prompt' },
  });
  const result = await runTeam({
    config: loadTeamConfig({ cwd: project.dir }),
    feature: 'Add user authentication with email and password',
  });
  expect(result.status).toBe('done');
  expect(result.summary.blockers.raised).toBe(1);
  const calls = (await readEntries(result.files.ledger)).filter((entry) => entry.type === 'model-call');
  // Every fenced answer with a sentence before it was read as it came: no repair request.
  expect(calls.filter((entry) => entry['repair'] === true)).toEqual([]);
  return { servers };
}

describe('structured answers in prompt mode', () => {
  it('compatible server: sends no response_format and no tools, puts the schema at the end of the last user message', async () => {
    const { servers } = await promptModeRun('openai');
    expect(servers.openai.requests.length).toBeGreaterThan(3);
    for (const request of servers.openai.requests) {
      const body = request.body as unknown as Record<string, unknown>;
      expect(body['response_format']).toBeUndefined();
      expect(body['tools']).toBeUndefined();
      expect(body['tool_choice']).toBeUndefined();
      const messages = request.body.messages as { role: string; content: unknown }[];
      expect(String(messages[0]?.content)).not.toContain(HEADING);
      const user = lastUserText(messages);
      expect(user).toContain(HEADING);
      // The instruction and the schema close the message.
      expect(user.slice(user.lastIndexOf(HEADING))).toMatch(/JSON Schema[\s\S]*\}$/);
    }
    const integrate = servers.openai.requests.find((request) =>
      lastUserText(request.body.messages as { role: string; content: unknown }[]).startsWith('# Request: integrate'),
    );
    const { $schema: _dialect, ...schema } = jsonSchemaOf(integrationSchema);
    expect(lastUserText(integrate?.body.messages as { role: string; content: unknown }[]).endsWith(JSON.stringify(schema))).toBe(true);
  });

  it('anthropic: sends no tools and no tool_choice, and the system prompt stays the cached prefix', async () => {
    const { servers } = await promptModeRun('anthropic');
    for (const request of servers.anthropic.requests) {
      expect(request.body.tools).toBeUndefined();
      expect(request.body.tool_choice).toBeUndefined();
      expect(JSON.stringify(request.body.system)).not.toContain(HEADING);
      expect(lastUserText(request.body.messages)).toContain(HEADING);
    }
    // The manager's later calls (resolve, integrate) read its system prompt from the cache.
    const manager = servers.anthropic.requests.filter((request) => lastUserText(request.body.messages).startsWith('# Request:'));
    expect(manager.length).toBeGreaterThanOrEqual(3);
    for (const request of manager.slice(1)) expect(request.usage?.cache_read_input_tokens ?? 0).toBeGreaterThan(1024);
  });
});
