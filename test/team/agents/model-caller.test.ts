import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../../../src/errors/index.js';
import { countTokens, type LlmRequest } from '../../../src/providers/index.js';
import { ModelCaller } from '../../../src/team/agents/model-caller.js';
import type { TeamStore } from '../../../src/team/agents/team-context.js';
import { WakeSignal } from '../../../src/team/agents/wake-signal.js';
import { eventsOf, readTeamLedger, useScriptedTeams } from '../../support/team-fixture.js';

const setup = useScriptedTeams();

function workRequest(overrides: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are the backend developer of a test team.',
    messages: [{ role: 'user', content: 'Implement task T1 and report as JSON.' }],
    maxTokens: 2000,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
    ...overrides,
  };
}

// USD per million tokens from src/cost/prices.ts, written out so a price change shows here.
const SONNET_5 = { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 };
const HAIKU_4_5 = { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 };

describe('ModelCaller', () => {
  it('settles each call into the agent, the budget and exactly one model-call event', async () => {
    const { provider, fixture } = await setup();
    const first = { inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000, cacheWriteTokens: 300 };
    const second = { inputTokens: 40, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 1200 };
    provider.enqueue({ text: 'first', usage: first }, { text: 'second', usage: second });
    const caller = new ModelCaller(fixture.context, 'backend-dev');
    // Prompts long enough that the holds cover the input the script reports (a vendor reporting more stops the run).
    const messages: LlmRequest['messages'] = [{ role: 'user', content: `Implement task T1 and report as JSON.${' word'.repeat(3000)}` }];

    const response = await caller.call(workRequest({ messages }));
    await caller.call(
      workRequest({
        model: 'claude-haiku-4-5',
        messages,
        metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'resolve' },
      }),
    );

    expect(response.text).toBe('first');
    // 1000·2 + 500·10 + 300·2.5 + 2000·0.2 = 8150 µ$.
    const firstCost = 8150 / 1_000_000;
    expect((1000 * SONNET_5.input + 500 * SONNET_5.output + 300 * SONNET_5.cacheWrite + 2000 * SONNET_5.cacheRead) / 1e6).toBeCloseTo(
      firstCost,
      15,
    );
    // 40·1 + 7·5 + 1200·1.25 = 1575 µ$.
    const secondCost = (40 * HAIKU_4_5.input + 7 * HAIKU_4_5.output + 1200 * HAIKU_4_5.cacheWrite) / 1e6;
    expect(secondCost).toBeCloseTo(1575 / 1e6, 15);

    const state = await fixture.store.read();
    const agent = state.agents['backend-dev'];
    expect(agent?.usage).toEqual({ inputTokens: 1040, outputTokens: 507, cacheReadTokens: 2000, cacheWriteTokens: 1500 });
    expect(agent?.costUsd).toBeCloseTo(firstCost + secondCost, 12);
    expect(agent?.calls).toBe(2);
    expect(state.budget.spentUsd).toBeCloseTo(firstCost + secondCost, 12);
    expect(state.budget.spentTokens).toBe(3800 + 1247);
    expect(state.budget.reservedUsd).toBe(0);
    expect(state.budget.reservedTokens).toBe(0);
    expect(state.budget.reservations).toEqual({});
    // No one else was charged.
    expect(state.agents['manager']?.costUsd).toBe(0);

    const calls = eventsOf(await readTeamLedger(fixture), 'model-call');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      agentId: 'backend-dev',
      taskId: 'T1',
      purpose: 'work',
      provider: 'scripted',
      model: 'claude-sonnet-5',
      usage: first,
      simulated: false,
      repair: false,
    });
    expect(calls[0]?.costUsd).toBeCloseTo(firstCost, 15);
    expect(calls[1]).toMatchObject({ taskId: null, purpose: 'resolve', model: 'claude-haiku-4-5', usage: second });
    expect(calls[1]?.costUsd).toBeCloseTo(secondCost, 15);
    provider.assertComplete();
  });

  it('prices a dated model id at its alias', async () => {
    const { provider, fixture } = await setup();
    provider.enqueue({ text: 'ok', usage: { inputTokens: 1_000_000, outputTokens: 0 }, model: 'claude-sonnet-5-20260101' });
    await new ModelCaller(fixture.context, 'backend-dev').call(workRequest());
    const [call] = eventsOf(await readTeamLedger(fixture), 'model-call');
    expect(call?.model).toBe('claude-sonnet-5-20260101');
    expect(call?.costUsd).toBeCloseTo(SONNET_5.input, 12);
  });

  it('holds the worst case (input estimate at the cache-write price + max output) while the provider works', async () => {
    const { provider, fixture } = await setup();
    const request = workRequest();
    // A real (not simulated) provider's estimate carries a 25% + 64 token margin for vendor tokenizers.
    const estimate = Math.ceil((countTokens(request.system) + countTokens(request.messages[0]?.content ?? '') + 4) * 1.25) + 64;
    const worstUsd = (estimate * SONNET_5.cacheWrite + request.maxTokens * SONNET_5.output) / 1e6;
    let during: { reservedUsd: number; reservedTokens: number; count: number } | undefined;
    provider.enqueue({
      respond: async () => {
        const { budget } = await fixture.store.read();
        during = { reservedUsd: budget.reservedUsd, reservedTokens: budget.reservedTokens, count: Object.keys(budget.reservations).length };
        return 'ok';
      },
    });
    await new ModelCaller(fixture.context, 'backend-dev').call(request);
    expect(during?.count).toBe(1);
    expect(during?.reservedUsd).toBeCloseTo(worstUsd, 12);
    expect(during?.reservedTokens).toBe(estimate + request.maxTokens);
    expect((await fixture.store.read()).budget.reservedUsd).toBe(0);
  });

  it('releases the reservation when the provider fails, and records the error in the transcript', async () => {
    const { provider, fixture } = await setup();
    provider.enqueue({ error: new Error('HTTP 529 overloaded') });
    const caller = new ModelCaller(fixture.context, 'backend-dev');
    await expect(caller.call(workRequest())).rejects.toThrow('HTTP 529 overloaded');

    const state = await fixture.store.read();
    expect(state.budget.reservedUsd).toBe(0);
    expect(state.budget.reservedTokens).toBe(0);
    expect(state.budget.reservations).toEqual({});
    expect(state.budget.spentUsd).toBe(0);
    expect(state.agents['backend-dev']?.calls).toBe(0);
    expect(eventsOf(await readTeamLedger(fixture), 'model-call')).toEqual([]);
    const transcript = await readFile(join(fixture.context.runDir, 'agents', 'backend-dev.jsonl'), 'utf8');
    expect(JSON.parse(transcript.trim())).toMatchObject({ taskId: 'T1', response: null, error: 'Error: HTTP 529 overloaded' });
  });

  it('refuses a call whose worst case does not fit the budget: no provider call, run budget_exceeded', async () => {
    const { provider, fixture } = await setup({ budgetUsd: 0.001 });
    provider.enqueue('never sent');
    const failure = await new ModelCaller(fixture.context, 'backend-dev').call(workRequest()).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(BudgetExceededError);
    expect(failure).toMatchObject({ limit: 'run USD', runId: 'test-run', code: 'budget_exceeded', exitCode: 3 });
    expect((failure as Error).message).toContain('agent-team run --resume --budget-usd');
    expect(provider.calls).toHaveLength(0);
    const state = await fixture.store.read();
    expect(state.run.status).toBe('budget_exceeded');
    expect(state.run.endReason).toContain('run USD');
    expect(state.budget).toMatchObject({ spentUsd: 0, reservedUsd: 0, reservations: {} });
    expect(eventsOf(await readTeamLedger(fixture), 'budget-block')).toMatchObject([{ agentId: 'backend-dev', limit: 'run USD' }]);
    expect(provider.remaining()).toBe(1);
  });

  it('refuses every later call once the run is out of budget, even one that would fit', async () => {
    const { provider, fixture } = await setup({ budgetUsd: 0.01 });
    const caller = new ModelCaller(fixture.context, 'backend-dev');
    await expect(caller.call(workRequest({ maxTokens: 100_000 }))).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(caller.call(workRequest({ maxTokens: 10 }))).rejects.toMatchObject({ limit: 'run' });
    expect(provider.calls).toHaveLength(0);
  });

  it('enforces the per-agent token limit', async () => {
    const { provider, fixture } = await setup({ orchestrator: { budget: { per_agent_tokens: 1000 } } });
    const failure = await new ModelCaller(fixture.context, 'backend-dev')
      .call(workRequest({ maxTokens: 1000 }))
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ limit: 'agent backend-dev tokens' });
    expect(provider.calls).toHaveLength(0);
  });

  it('waits for room without rewriting the state while another call holds the budget', async () => {
    let updates = 0;
    const request = workRequest();
    const estimate = countTokens(request.system) + countTokens(request.messages[0]?.content ?? '') + 4;
    const worstUsd = (estimate * SONNET_5.cacheWrite + request.maxTokens * SONNET_5.output) / 1e6;
    const sleeping = { count: 0 };
    const { provider, fixture } = await setup({
      budgetUsd: worstUsd * 1.5,
      wrapStore: (store: TeamStore): TeamStore => ({
        read: () => store.read(),
        exists: () => store.exists(),
        watch: (onChange) => store.watch(onChange),
        close: () => store.close(),
        update: (fn) => {
          updates += 1;
          return store.update(fn);
        },
      }),
      createWake: (store) =>
        new (class extends WakeSignal {
          override wait(input: { sinceVersion: number; timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void> {
            if (input.sinceVersion === this.version) sleeping.count += 1;
            return super.wait(input);
          }
        })(store),
    });
    const context = fixture.context;
    provider.enqueueFor(
      { agentId: 'backend-dev' },
      {
        // Holds the budget until the other call sleeps, or has clearly stopped sleeping.
        respond: async () => {
          while (sleeping.count === 0 && updates < 25) await new Promise((resolve) => setImmediate(resolve));
          return 'first';
        },
      },
    );
    provider.enqueueFor({ agentId: 'frontend-dev' }, 'second');
    const first = new ModelCaller(context, 'backend-dev').call(request);
    while (provider.calls.length === 0) await new Promise((resolve) => setImmediate(resolve));
    const before = updates;
    const second = new ModelCaller(context, 'frontend-dev').call({
      ...request,
      metadata: { ...request.metadata, agentId: 'frontend-dev' },
    });
    await Promise.all([first, second]);
    expect(updates - before).toBeLessThanOrEqual(6);
  });
});
