/**
 * The learned margin over the real OpenAI SDK and HTTP: a compatible server whose
 * tokenizer counts three times our estimate, with no count endpoint. A call whose unused
 * output room absorbed the extra input teaches the ratio; a later call with no such room
 * is then held enough, where the fixed 1.25× + 64 margin would have been passed.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countTokens, createOpenAIProvider, type LlmRequest } from '../../../src/providers/index.js';
import { ModelCaller } from '../../../src/team/agents/model-caller.js';
import { type InflatingProxy, startInflatingProxy } from '../../support/inflating-proxy.js';
import { startOpenAIServer, type OpenAIServer } from '../../support/openai-server.js';
import { createTeamFixture, eventsOf, readTeamLedger, type TeamFixture } from '../../support/team-fixture.js';

let openai: OpenAIServer | undefined;
let proxy: InflatingProxy | undefined;
let fixture: TeamFixture | undefined;

beforeAll(() => {
  countTokens('warm up');
});

afterEach(async () => {
  await fixture?.cleanup();
  await proxy?.close();
  await openai?.close();
  fixture = undefined;
  proxy = undefined;
  openai = undefined;
});

function request(maxTokens: number): LlmRequest {
  return {
    model: 'gpt-4.1',
    system: 'You are the backend developer of a test team.',
    messages: [{ role: 'user', content: `Implement task T1.${' word'.repeat(400)}` }],
    maxTokens,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
  };
}

async function inflatedTeam(): Promise<TeamFixture> {
  openai = await startOpenAIServer({ defaultReply: { text: 'ok' } });
  proxy = await startInflatingProxy({ upstream: openai.url, inputScale: 3 });
  const provider = createOpenAIProvider({ apiKey: 'sk-test-openai-000000000000', baseURL: proxy.url });
  fixture = await createTeamFixture({ provider, budgetUsd: 5, status: 'running' });
  return fixture;
}

describe('the learned input margin, over the wire', () => {
  it('holds a later call enough once an earlier one showed how much more the vendor counts', async () => {
    const team = await inflatedTeam();
    const caller = new ModelCaller(team.context, 'backend-dev');
    // Room for 4000 output tokens absorbs the extra input: no overshoot, but the ratio is learned.
    await caller.call(request(4000));
    // No output room to speak of: only a hold sized by the learned ratio covers this input.
    await caller.call(request(20));

    const ledger = await readTeamLedger(team);
    const calls = eventsOf(ledger, 'model-call');
    expect(calls).toHaveLength(2);
    const inputOf = (index: number): number => calls[index]?.usage.inputTokens ?? 0;
    // The vendor counted far more than the fixed margin allows for our estimate of this prompt.
    const estimate = countTokens(request(20).system) + countTokens(request(20).messages[0]?.content ?? '') + 4;
    expect(inputOf(1)).toBeGreaterThan(Math.ceil(estimate * 1.25) + 64 + 20);
    expect(eventsOf(ledger, 'budget-overshoot')).toEqual([]);
    const state = await team.store.read();
    expect(state.run.status).toBe('running');
    expect(state.budget.reservations).toEqual({});
  });

  it('without an earlier call to learn from, the same call is past its hold: recorded, and the run stops', async () => {
    const team = await inflatedTeam();
    await new ModelCaller(team.context, 'backend-dev').call(request(20));

    const overshoots = eventsOf(await readTeamLedger(team), 'budget-overshoot');
    expect(overshoots).toHaveLength(1);
    expect(overshoots[0]).toMatchObject({ agentId: 'backend-dev', taskId: 'T1', provider: 'openai', basis: 'estimate' });
    const state = await team.store.read();
    expect(state.run.status).toBe('budget_exceeded');
    expect(state.run.endReason).toContain("a vendor's count exceeded the hold");
    await expect(new ModelCaller(team.context, 'backend-dev').call(request(20))).rejects.toThrow('Budget exceeded');
    expect(openai?.requests).toHaveLength(1);
  });
});
