import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { teamStateSchema } from '../../../src/state/index.js';
import { runTeam } from '../../../src/team/index.js';
import { readEntries } from '../../support/ledger.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { clearWireTeamKeys, startWireTeam, type WireTeamServers, writeWireTeamProject } from '../../support/wire-team.js';

// gpt-4.1 list prices, USD per million tokens, written out by hand.
const GPT_41 = { input: 2, cached: 0.5, output: 8 };
const REASONING = 48;
const AGENTS_YML = `
tiers: { simple: claude-haiku-4-5, medium: claude-sonnet-5, complex: claude-opus-4-5 }
agents:
  team_manager: { base: base/manager.md, model: claude-sonnet-5, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], provider: openai, model: gpt-4.1, max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, provider: openai, model: gpt-4.1, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, model: claude-haiku-4-5, max_tokens: 4000 }
`;

let project: TempProject | undefined;
let servers: WireTeamServers | undefined;

afterEach(async () => {
  await servers?.close();
  await project?.cleanup();
  clearWireTeamKeys();
});

describe('reasoning tokens', () => {
  it('are recorded per call in the ledger, per agent in the state and in the summary, and billed once as output', async () => {
    servers = await startWireTeam({ openaiReasoningTokens: REASONING });
    project = await tempProject();
    await writeWireTeamProject(project, { agentsYml: AGENTS_YML, anthropic: servers.anthropic.url, openai: servers.openai.url });
    const result = await runTeam({
      config: loadTeamConfig({ cwd: project.dir }),
      feature: 'Add user authentication with email and password',
    });
    expect(result.status).toBe('done');

    const openaiCalls = servers.openai.requests.length;
    expect(openaiCalls).toBeGreaterThan(1);
    const calls = (await readEntries(result.files.ledger)).filter((entry) => entry.type === 'model-call');
    const usages = (provider: string) =>
      calls.filter((entry) => entry['provider'] === provider).map((entry) => entry['usage'] as Record<string, number>);
    expect(usages('openai')).toHaveLength(openaiCalls);
    for (const usage of usages('openai')) {
      expect(usage['reasoningTokens']).toBe(REASONING);
      expect(usage['outputTokens']).toBeGreaterThan(REASONING);
    }
    for (const usage of usages('anthropic')) expect(usage['reasoningTokens']).toBeUndefined();

    expect(result.summary.tokens.reasoningTokens).toBe(REASONING * openaiCalls);
    expect(result.summary.byProvider['openai']?.usage.reasoningTokens).toBe(REASONING * openaiCalls);
    const state = teamStateSchema.parse(JSON.parse(await readFile(result.files.state, 'utf8')));
    const agentReasoning = Object.values(state.agents).reduce((sum, agent) => sum + (agent.usage.reasoningTokens ?? 0), 0);
    expect(agentReasoning).toBe(REASONING * openaiCalls);

    // completion_tokens already holds the reasoning tokens: the cost prices them once, as output.
    let cost = 0;
    for (const request of servers.openai.requests) {
      const usage = request.usage;
      if (usage === undefined) throw new Error('an OpenAI request went unanswered');
      const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
      cost += ((usage.prompt_tokens - cached) * GPT_41.input + cached * GPT_41.cached + usage.completion_tokens * GPT_41.output) / 1e6;
    }
    expect(result.summary.byProvider['openai']?.costUsd).toBeCloseTo(cost, 12);
  });
});
