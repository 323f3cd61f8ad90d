/**
 * Budget holds against vendors whose tokenizers count more than ours, over the real SDKs
 * and HTTP: Anthropic's count_tokens makes the hold exact, so a binding USD limit is never
 * passed; an OpenAI-compatible server without a count endpoint that counts more than the
 * hold is recorded (ledger, summary, report) and stops the run at that call.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { teamStateSchema } from '../../../src/state/index.js';
import { runTeam } from '../../../src/team/index.js';
import { start as startAnthropic, type AnthropicServer } from '../../support/anthropic-server.js';
import { type InflatingProxy, startInflatingProxy } from '../../support/inflating-proxy.js';
import { readEntries } from '../../support/ledger.js';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.js';
import { answerFor, lastUserText } from '../../support/team-brain.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';
import { CLAUDE_TEAM_YML, clearWireTeamKeys, shaped, writeWireTeamProject } from '../../support/wire-team.js';

const FEATURE = 'Add user authentication with email and password';

const ANTHROPIC_YML = CLAUDE_TEAM_YML;

const OPENAI_YML = `
tiers: { simple: gpt-4.1-nano, medium: gpt-4.1-mini, complex: gpt-4.1 }
agents:
  team_manager: { base: base/manager.md, provider: openai, model: gpt-4.1, max_tokens: 4000 }
  backend_developer: { base: base/software-developer.md, platforms: [platforms/web/backend-developer.md], provider: openai, max_tokens: 4000 }
  frontend_developer: { base: base/software-developer.md, platforms: [platforms/web/frontend-developer.md], provider: openai, max_tokens: 4000 }
  qa_tester: { base: base/qa-tester.md, provider: openai, max_tokens: 4000 }
  reviewer: { base: base/reviewer.md, provider: openai, max_tokens: 4000 }
`;

let project: TempProject | undefined;
let anthropic: AnthropicServer | undefined;
let openai: OpenAIServer | undefined;
let proxy: InflatingProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  await anthropic?.close();
  await openai?.close();
  await project?.cleanup();
  clearWireTeamKeys();
  proxy = undefined;
  anthropic = undefined;
  openai = undefined;
});

/**
 * An Anthropic stand-in answering in role whose tokenizer counts `inputScale` times the fake's own
 * count (ceil(characters / 4), itself about 1.2 times our o200k count of these prompts): at 3.5
 * about four times our estimate, far past the fixed 1.25× + 64 margin.
 */
function anthropicTeamServer(options: { inputScale: number; countTokens?: boolean }): Promise<AnthropicServer> {
  return startAnthropic({
    ...options,
    fallback: (recorded) => {
      const body = recorded.body;
      const forced = body.tools?.find((tool) => tool.name === body.tool_choice?.name);
      return { kind: 'structured', input: shaped(forced?.input_schema, answerFor(lastUserText(body.messages))) };
    },
  });
}

/** Runs the team in a fresh project whose budget is `budget` (the orchestrator config's keys). */
async function runWith(input: { yml: string; anthropicUrl: string; openaiUrl?: string; budget: Record<string, number> }) {
  await project?.cleanup();
  project = await tempProject();
  await writeWireTeamProject(project, {
    agentsYml: input.yml,
    anthropic: input.anthropicUrl,
    ...(input.openaiUrl === undefined ? {} : { openai: input.openaiUrl }),
  });
  const configFile = join(project.dir, 'orchestrator-config.json');
  const orchestrator = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
  await writeFile(configFile, JSON.stringify({ ...orchestrator, budget: input.budget }));
  const result = await runTeam({ config: loadTeamConfig({ cwd: project.dir }), feature: FEATURE });
  const state = teamStateSchema.parse(JSON.parse(await readFile(result.files.state, 'utf8')));
  const ledger = await readEntries(result.files.ledger);
  const summary = JSON.parse(await readFile(result.files.summary, 'utf8')) as typeof result.summary;
  const report = await readFile(result.files.report, 'utf8');
  return { result, state, ledger, summary, report };
}

describe('budget holds over the wire', () => {
  it("never pass a binding USD limit when Anthropic counts several times our estimate: each hold is the vendor's own count", async () => {
    anthropic = await anthropicTeamServer({ inputScale: 3.5 });
    const limit = 0.15;
    const { result, state, ledger, summary } = await runWith({
      yml: ANTHROPIC_YML,
      anthropicUrl: anthropic.url,
      budget: { max_usd: limit },
    });

    // The limit binds: the run stops for budget, refusing a call that would not fit.
    expect(result.status).toBe('budget_exceeded');
    expect(ledger.filter((entry) => entry.type === 'budget-block').length).toBeGreaterThan(0);
    // Overshoot 0: spend is at most the limit, and no call reported more than it held.
    expect(state.budget.spentUsd).toBeLessThanOrEqual(limit);
    expect(summary.costUsd).toBeLessThanOrEqual(limit);
    expect(summary.costUsd).toBeCloseTo(state.budget.spentUsd, 12);
    expect(ledger.filter((entry) => entry.type === 'budget-overshoot')).toEqual([]);
    expect(summary.overshoots).toEqual([]);
    // Every call was counted first, from the very body it then sent (a call refused for budget was counted too).
    expect(anthropic.requests.length).toBeGreaterThan(1);
    expect(anthropic.countRequests.length).toBeGreaterThanOrEqual(anthropic.requests.length);
    for (const [index, request] of anthropic.requests.entries()) {
      const { max_tokens: _max, ...sent } = request.body;
      const counted = anthropic.countRequests.find((candidate) => JSON.stringify(candidate.body) === JSON.stringify(sent));
      if (counted === undefined) throw new Error(`request ${index} was sent without being counted first`);
      const usage = request.usage;
      if (usage === undefined) throw new Error(`request ${index} was not answered`);
      const reported = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens;
      expect(reported).toBeGreaterThan(0);
      expect(reported).toBeLessThanOrEqual(counted.inputTokens);
    }
  });

  it('makes no count round trip when the run has no limit', async () => {
    anthropic = await anthropicTeamServer({ inputScale: 3.5 });
    const { result, ledger } = await runWith({ yml: ANTHROPIC_YML, anthropicUrl: anthropic.url, budget: {} });
    expect(result.status).toBe('done');
    expect(anthropic.requests.length).toBeGreaterThan(1);
    expect(anthropic.countRequests).toEqual([]);
    expect(ledger.filter((entry) => entry.type === 'budget-overshoot')).toEqual([]);
  });

  it('without a count endpoint, the same vendor is caught: the overshoot is recorded and the run stops at that call', async () => {
    anthropic = await anthropicTeamServer({ inputScale: 3.5, countTokens: false });
    const { result, ledger, summary } = await runWith({ yml: ANTHROPIC_YML, anthropicUrl: anthropic.url, budget: { max_usd: 5 } });

    expect(result.status).toBe('budget_exceeded');
    expect(result.summary.endReason).toContain("a vendor's count exceeded the hold");
    const overshoots = ledger.filter((entry) => entry.type === 'budget-overshoot');
    expect(overshoots.length).toBeGreaterThan(0);
    expect(overshoots[0]).toMatchObject({ provider: 'anthropic', basis: 'estimate' });
    expect(summary.overshoots.length).toBe(overshoots.length);
  });

  it('records the first call an OpenAI-compatible server counts past its hold, stops taking calls, and passes a binding token limit by no more than that overshoot', async () => {
    openai = await startOpenAIServer({
      defaultReply: (body) => {
        const format = body.response_format as { json_schema?: { schema?: unknown } } | undefined;
        const answer = answerFor(lastUserText(body.messages as { role: string; content: unknown }[]));
        return { json: shaped(format?.json_schema?.schema, answer) };
      },
    });
    proxy = await startInflatingProxy({ upstream: openai.url, inputScale: 3 });
    anthropic = await anthropicTeamServer({ inputScale: 1 });
    const team = { yml: OPENAI_YML, anthropicUrl: anthropic.url, openaiUrl: proxy.url };
    // A first run with room to spare shows what the manager's plan call holds.
    const roomy = await runWith({ ...team, budget: { max_usd: 5 } });
    const firstHold = roomy.ledger.find((entry) => entry.type === 'budget-overshoot')?.['heldTokens'] as number;
    expect(firstHold).toBeGreaterThan(0);
    const requestsBefore = openai.requests.length;

    // Then a token limit the plan call's hold just fits: it binds.
    const limit = firstHold + 50;
    const { result, state, ledger, summary, report } = await runWith({ ...team, budget: { max_tokens: limit } });

    // The plan call was counted at three times our estimate: past its 1.25× + 64 hold. No call was made after it.
    expect(openai.requests.length - requestsBefore).toBe(1);
    const calls = ledger.filter((entry) => entry.type === 'model-call');
    expect(calls).toHaveLength(1);
    const overshoots = ledger.filter((entry) => entry.type === 'budget-overshoot');
    expect(overshoots).toHaveLength(1);
    const [overshoot] = overshoots;
    const [call] = calls;
    if (overshoot === undefined || call === undefined) throw new Error('no overshoot or no call');
    expect(overshoot).toMatchObject({ agentId: 'manager', taskId: null, provider: 'openai', basis: 'estimate', heldTokens: firstHold });
    expect(overshoot['model']).toBe(call['model']);
    expect(overshoot['reportedUsd']).toBeCloseTo(call['costUsd'] as number, 12);
    const usage = call['usage'] as { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
    const reported = usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
    expect(overshoot['reportedTokens']).toBe(reported);
    expect(overshoot['overTokens']).toBe(reported - firstHold);
    expect(overshoot['overUsd']).toBeCloseTo(Math.max(0, (overshoot['reportedUsd'] as number) - (overshoot['heldUsd'] as number)), 12);

    // The spend is recorded as reported, never cut to the hold: past the limit, by no more than the overshoot.
    expect(state.budget.spentTokens).toBe(reported);
    expect(state.budget.spentTokens).toBeGreaterThan(limit);
    expect(state.budget.spentTokens - limit).toBeLessThanOrEqual(overshoot['overTokens'] as number);
    expect(state.budget.reservations).toEqual({});
    // The run ends like a budget stop, saying why.
    expect(result.status).toBe('budget_exceeded');
    expect(state.run.endReason).toContain("a vendor's count exceeded the hold");
    expect(ledger.filter((entry) => entry.type === 'plan-create')).toHaveLength(1);
    expect(ledger.filter((entry) => entry.type === 'task-claim')).toEqual([]);

    expect(summary.overshoots).toEqual([
      {
        at: overshoot.at,
        agentId: 'manager',
        taskId: null,
        provider: 'openai',
        model: overshoot['model'],
        basis: 'estimate',
        heldTokens: firstHold,
        reportedTokens: reported,
        overTokens: reported - firstHold,
        heldUsd: overshoot['heldUsd'],
        reportedUsd: overshoot['reportedUsd'],
        overUsd: overshoot['overUsd'],
      },
    ]);
    expect(report).toContain('### Holds exceeded');
    expect(report).toContain(`| manager | (run) | ${String(overshoot['model'])} | estimate | ${firstHold} tokens`);
    expect(report).toContain("a vendor's count exceeded the hold");
  });
});
