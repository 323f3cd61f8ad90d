/**
 * Every call of an agent sends the same prefix — its tools (answer tools included, in a
 * fixed order) and its system prompt — whatever the call is for, so after an agent's
 * first call nearly all its input is read from the cache. Measured through the real SDKs
 * against local servers that cache as each vendor documents: Anthropic tools → system →
 * messages (tool_choice outside the prefix), OpenAI tools + response_format + leading
 * system messages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { runTeam } from '../../../src/team/index.js';
import { readEntries } from '../../support/ledger.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { clearWireTeamKeys, startWireTeam, type WireTeamServers, writeWireTeamProject } from '../../support/wire-team.js';

// One model per agent: a cache is per model, and tiering would switch models by task.
const CLAUDE_YML = `
agents:
  team_manager: { base: base/manager.md, model: claude-sonnet-5, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], model: claude-haiku-4-5, max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], model: claude-haiku-4-5, max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, model: claude-haiku-4-5, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, model: claude-haiku-4-5, max_tokens: 4000 }
`;
const GPT_YML = `
agents:
  team_manager: { base: base/manager.md, model: gpt-4.1, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], model: gpt-4.1-mini, max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], model: gpt-4.1-mini, max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, model: gpt-4.1-mini, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, model: gpt-4.1-mini, max_tokens: 4000 }
`;
const MIN_SHARE = 0.8;

let project: TempProject | undefined;
let servers: WireTeamServers | undefined;

afterEach(async () => {
  await servers?.close();
  await project?.cleanup();
  clearWireTeamKeys();
});

/** A call's usage as the share needs it: input not from the cache, read from it, written to it. */
interface CallUsage {
  agent: string;
  input: number;
  cacheRead: number;
  cacheWrite: number;
}

/** The cache-read share of every call after each agent's first (in the ledger's order of calls), per agent. */
function sharesAfterFirst(calls: readonly CallUsage[]): { agent: string; share: number }[] {
  const seen = new Set<string>();
  const shares: { agent: string; share: number }[] = [];
  for (const call of calls) {
    if (!seen.has(call.agent)) {
      seen.add(call.agent);
      continue;
    }
    shares.push({ agent: call.agent, share: call.cacheRead / (call.input + call.cacheRead + call.cacheWrite) });
  }
  return shares;
}

async function ledgerCalls(file: string): Promise<CallUsage[]> {
  return (await readEntries(file))
    .filter((entry) => entry.type === 'model-call')
    .map((entry) => {
      const usage = entry['usage'] as { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
      return {
        agent: String(entry['agentId']),
        input: usage.inputTokens,
        cacheRead: usage.cacheReadTokens,
        cacheWrite: usage.cacheWriteTokens,
      };
    });
}

async function teamRun(input: { agentsYml: string; provider: 'anthropic' | 'openai'; openaiMode?: string }): Promise<CallUsage[]> {
  servers = await startWireTeam({ blockOnce: ['T3'], tasksPerRole: 2 });
  project = await tempProject();
  await writeWireTeamProject(project, {
    agentsYml: input.agentsYml,
    anthropic: servers.anthropic.url,
    openai: servers.openai.url,
    provider: input.provider,
    ...(input.openaiMode === undefined ? {} : { structuredOutput: { openai: input.openaiMode } }),
  });
  const result = await runTeam({
    config: loadTeamConfig({ cwd: project.dir }),
    feature: 'Add user authentication with email and password',
  });
  expect(result.status).toBe('done');
  expect(result.summary.blockers.raised).toBe(1);
  return ledgerCalls(result.files.ledger);
}

describe('the cached prefix of every agent, across the purposes of its calls', () => {
  it('anthropic: every call after an agent’s first reads at least 80% of its input from the cache', async () => {
    const calls = await teamRun({ agentsYml: CLAUDE_YML, provider: 'anthropic' });
    const shares = sharesAfterFirst(calls);
    // The manager planned, resolved the blocker and integrated: three purposes, one prefix.
    expect(shares.filter((entry) => entry.agent === 'manager').length).toBeGreaterThanOrEqual(2);
    for (const entry of shares) expect(entry.share, entry.agent).toBeGreaterThanOrEqual(MIN_SHARE);
    // The first call of each agent wrote its prefix: it is over the 1024-token minimum.
    expect(calls.filter((call) => call.cacheWrite > 0).length).toBeGreaterThanOrEqual(new Set(calls.map((call) => call.agent)).size);
  });

  it('openai (answer tools): every call after an agent’s first reads at least 80% of its input from the cache', async () => {
    const calls = await teamRun({ agentsYml: GPT_YML, provider: 'openai', openaiMode: 'tools' });
    const shares = sharesAfterFirst(calls);
    expect(shares.filter((entry) => entry.agent === 'manager').length).toBeGreaterThanOrEqual(2);
    for (const entry of shares) expect(entry.share, entry.agent).toBeGreaterThanOrEqual(MIN_SHARE);
  });
});
