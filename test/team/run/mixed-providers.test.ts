import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { runTeam } from '../../../src/team/index.js';
import { readEntries } from '../../support/ledger.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { clearWireTeamKeys, startWireTeam, type WireTeamServers, writeWireTeamProject } from '../../support/wire-team.js';

// List prices, USD per million tokens, written out by hand (not read from the price table).
const CLAUDE: Record<string, { input: number; output: number }> = {
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-sonnet-5': { input: 2, output: 10 },
  'claude-opus-4-5': { input: 5, output: 25 },
};
const GPT: Record<string, { input: number; cached: number; output: number }> = {
  'gpt-4.1': { input: 2, cached: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cached: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cached: 0.025, output: 0.4 },
};

const AGENTS_YML = `
tiers: { simple: claude-haiku-4-5, medium: claude-sonnet-5, complex: claude-opus-4-5 }
agents:
  team_manager: { base: base/manager.md, model: claude-sonnet-5, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], provider: openai, model: gpt-4.1, max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, provider: openai, tiers: { simple: gpt-4.1-nano, medium: gpt-4.1-mini, complex: gpt-4.1 }, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, model: claude-haiku-4-5, max_tokens: 4000 }
`;

let project: TempProject | undefined;
let servers: WireTeamServers | undefined;

afterEach(async () => {
  await servers?.close();
  await project?.cleanup();
  clearWireTeamKeys();
});

describe('a team mixing Anthropic and OpenAI models, over the real SDKs and HTTP', () => {
  it('finishes, and its cost equals a hand computation from the usage the servers reported', async () => {
    servers = await startWireTeam({ blockOnce: ['T3'] });
    project = await tempProject();
    await writeWireTeamProject(project, { agentsYml: AGENTS_YML, anthropic: servers.anthropic.url, openai: servers.openai.url });
    const config = loadTeamConfig({ cwd: project.dir });
    const result = await runTeam({ config, feature: 'Add user authentication with email and password' });
    expect(result.status).toBe('done');
    expect(result.summary.simulated).toBe(false);
    expect(result.summary.blockers.raised).toBe(1);

    let cost = 0;
    let input = 0;
    let cacheRead = 0;
    let cacheWrite = 0;
    let output = 0;
    for (const request of servers.anthropic.requests) {
      const usage = request.usage;
      const price = CLAUDE[request.body.model];
      if (usage === undefined || price === undefined)
        throw new Error(
          `unpriced or unanswered request for ${request.body.model}: ${JSON.stringify(result.summary.byModel)} ${result.status}`,
        );
      cost +=
        (usage.input_tokens * price.input +
          usage.output_tokens * price.output +
          usage.cache_creation_input_tokens * price.input * 1.25 +
          usage.cache_read_input_tokens * price.input * 0.1) /
        1e6;
      input += usage.input_tokens;
      cacheRead += usage.cache_read_input_tokens;
      cacheWrite += usage.cache_creation_input_tokens;
      output += usage.output_tokens;
    }
    for (const request of servers.openai.requests) {
      const usage = request.usage;
      const price = GPT[request.body.model];
      if (usage === undefined || price === undefined)
        throw new Error(
          `unpriced or unanswered request for ${request.body.model}: ${JSON.stringify(result.summary.byModel)} ${result.status}`,
        );
      const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
      cost += ((usage.prompt_tokens - cached) * price.input + cached * price.cached + usage.completion_tokens * price.output) / 1e6;
      input += usage.prompt_tokens - cached;
      cacheRead += cached;
      output += usage.completion_tokens;
    }
    expect(servers.anthropic.requests.length).toBeGreaterThan(3);
    expect(servers.openai.requests.length).toBeGreaterThan(1);
    expect(result.summary.calls).toBe(servers.anthropic.requests.length + servers.openai.requests.length);
    expect(result.summary.costUsd).toBeCloseTo(cost, 12);
    expect(result.summary.tokens).toMatchObject({
      inputTokens: input,
      outputTokens: output,
      cacheReadTokens: cacheRead,
      cacheWriteTokens: cacheWrite,
    });
    expect(cacheRead).toBeGreaterThan(0);
    expect(cacheWrite).toBeGreaterThan(0);

    const ledger = await readEntries(result.files.ledger);
    const providers = new Set(
      ledger.filter((entry) => entry.type === 'model-call').map((entry) => `${entry['provider']}:${entry['model']}`),
    );
    expect(providers).toContain('anthropic:claude-sonnet-5');
    expect(providers).toContain('openai:gpt-4.1');
    expect([...providers].some((name) => name.startsWith('openai:gpt-4.1-'))).toBe(true);
    expect(result.summary.topTierCostUsd).toBeGreaterThan(result.summary.costUsd);
    // The API keys never reach the transcripts.
    for (const agent of ['manager', 'frontend-dev']) {
      const transcript = await import('node:fs/promises').then((fs) => fs.readFile(`${result.files.agents}/${agent}.jsonl`, 'utf8'));
      expect(transcript).not.toContain('sk-ant-test');
      expect(transcript).not.toContain('sk-test-openai');
    }
  });
});
