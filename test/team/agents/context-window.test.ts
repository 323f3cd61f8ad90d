import { describe, expect, it } from 'vitest';
import { ContextWindowExceededError, contextEstimateOf, contextWindowOf } from '../../../src/cost/index.js';
import type { LlmRequest } from '../../../src/providers/index.js';
import { SHORTENED_RESULTS_NOTE } from '../../../src/prompts/index.js';
import { ModelCaller } from '../../../src/team/agents/model-caller.js';
import {
  answers,
  eventsOf,
  plannedTask,
  readTeamLedger,
  runTeamInProcess,
  seedPlan,
  useScriptedTeams,
} from '../../support/team-fixture.js';

const setup = useScriptedTeams();
const MANAGER = { agentId: 'manager' };

/** About `tokens` tokens of varied prose, as a long task summary reads. */
function longSummary(tokens: number): string {
  const sentences: string[] = [];
  for (let index = 0; sentences.length * 22 < tokens; index += 1) {
    sentences.push(`Step ${index}: the handler in src/auth/part-${index}.ts checks field ${index % 7} and logs case ${index * 13}.`);
  }
  return sentences.join(' ');
}

// Prices of the models the default team uses, with small windows so tests stay quick.
function pricesWithWindows(windows: { sonnet?: number; opus?: number }): Record<string, unknown> {
  return {
    prices: {
      'claude-sonnet-5': { input: 2, output: 10, ...(windows.sonnet === undefined ? {} : { context_window: windows.sonnet }) },
      'claude-opus-4-5': { input: 5, output: 25, ...(windows.opus === undefined ? {} : { context_window: windows.opus }) },
    },
  };
}

describe('context windows', () => {
  it('knows the published windows and leaves unknown models unchecked', () => {
    expect(contextWindowOf('claude-sonnet-5')).toBe(200_000);
    expect(contextWindowOf('claude-haiku-4-5-20251001')).toBe(200_000);
    expect(contextWindowOf('gpt-4o-mini')).toBe(128_000);
    expect(contextWindowOf('gpt-4.1-nano-2025-04-14')).toBe(1_047_576);
    expect(contextWindowOf('gpt-5-mini')).toBe(400_000);
    expect(contextWindowOf('llama3.1:8b')).toBeNull();
  });

  it('sends a task whose dependency results are too large shortened, so it fits and says so', async () => {
    const { provider, fixture } = await setup({ orchestrator: pricesWithWindows({ sonnet: 30_000 }) });
    const summary = longSummary(40_000);
    provider
      .enqueueFor({ purpose: 'work', taskId: 'T1' }, answers.done(summary, ['src/auth/login.ts']))
      .enqueueFor({ purpose: 'work', taskId: 'T2' }, answers.done('Tests written'))
      .enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Login works.'));
    await seedPlan(fixture, [
      plannedTask({ id: 'T1', role: 'frontend_developer', complexity: 'simple' }),
      plannedTask({ id: 'T2', role: 'backend_developer', dependsOn: ['T1'] }),
    ]);

    const outcome = await runTeamInProcess(fixture);

    expect(outcome.state.tasks.map((task) => task.status)).toEqual(['done', 'done']);
    const [sent] = provider.callsFor({ purpose: 'work', taskId: 'T2' });
    expect(sent).toBeDefined();
    const request = sent as LlmRequest;
    expect(request.model).toBe('claude-sonnet-5');
    // Cut to fit, not to nothing: most of the window is still used.
    expect(contextEstimateOf(request, false)).toBeLessThanOrEqual(30_000);
    expect(contextEstimateOf(request, false)).toBeGreaterThan(30_000 * 0.9);
    expect(request.shortenable).toBeUndefined();
    const message = request.messages[0]?.content ?? '';
    expect(message).toContain(`${SHORTENED_RESULTS_NOTE}\n\n### T1: Task T1\nFiles changed: src/auth/login.ts\nStep 0:`);
    expect(message).toMatch(/\[… shortened to fit the context window: about \d+ of \d+ tokens kept\]/);
    expect(message).not.toContain(summary);
    expect(message).toContain('# Task T2: Task T2');
    provider.assertComplete();
  });

  it('refuses a request that cannot fit before any budget is held or anything is sent', async () => {
    const { provider, fixture } = await setup({ orchestrator: pricesWithWindows({ sonnet: 6000 }), budgetUsd: 5 });
    const before = (await fixture.store.read()).budget;
    const caller = new ModelCaller(fixture.context, 'backend-dev');
    const request: LlmRequest = {
      model: 'claude-sonnet-5',
      system: 'You are the backend developer of a test team.',
      messages: [{ role: 'user', content: 'Implement task T1 and report as JSON.' }],
      maxTokens: 8000,
      metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T1' },
    };

    const error = await caller.call(request).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ContextWindowExceededError);
    const refused = error as ContextWindowExceededError;
    expect(refused).toMatchObject({
      code: 'context_window_exceeded',
      agentId: 'backend-dev',
      taskId: 'T1',
      model: 'claude-sonnet-5',
      window: 6000,
    });
    expect(refused.estimate).toBe(contextEstimateOf(request, false));
    expect(refused.message).toContain(`The request of backend-dev on task T1 needs about ${refused.estimate} tokens`);
    expect(refused.message).toContain('more than the 6000-token context window of claude-sonnet-5');
    expect(refused.message).toContain('It was not sent and nothing was spent.');
    expect(provider.calls).toHaveLength(0);
    expect((await fixture.store.read()).budget).toEqual(before);
    expect(eventsOf(await readTeamLedger(fixture), 'model-call')).toHaveLength(0);
  });

  it("fails a role agent's task that cannot fit, naming the model and the window, without a work call", async () => {
    const { provider, fixture } = await setup({ orchestrator: pricesWithWindows({ opus: 6000 }) });
    provider.enqueueFor({ ...MANAGER, purpose: 'integrate' }, answers.integration('Nothing was built.'));
    await seedPlan(fixture, [plannedTask({ id: 'T1', role: 'backend_developer', complexity: 'complex' })]);

    const outcome = await runTeamInProcess(fixture);

    const [task] = outcome.state.tasks;
    expect(task?.status).toBe('failed');
    expect(task?.failure).toMatch(/The request of backend-dev on task T1 needs about \d+ tokens .* context window of claude-opus-4-5/);
    const calls = eventsOf(await readTeamLedger(fixture), 'model-call');
    expect(calls.filter((call) => call.purpose === 'work')).toHaveLength(0);
    expect(outcome.state.agents['backend-dev']?.costUsd).toBe(0);
    provider.assertComplete();
  });
});
