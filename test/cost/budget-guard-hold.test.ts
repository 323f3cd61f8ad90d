/**
 * What BudgetGuard holds for a call: the vendor's own count when a counter is given, else
 * our estimate with a margin learned from what vendors reported; and what an overshoot is.
 * Counters are injected functions; nothing here waits on a clock.
 */
import { describe, expect, it } from 'vitest';
import { newBudgetBook, reserveBudget, settleReservation } from '../../src/cost/budget-book.js';
import type { BudgetChanges } from '../../src/cost/budget-guard.js';
import { BudgetGuard, type BudgetStore, InputMargins, overshootOf, worstCaseOf } from '../../src/cost/index.js';
import { tokenEstimateOf } from '../../src/cost/input-hold.js';
import { ProviderError } from '../../src/errors/index.js';
import type { LlmRequest } from '../../src/providers/index.js';

// USD per million tokens, written out: the dearest input is the cache write.
const PRICE = { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 };
const KEY = 'vendor:model-a';

function requestOf(words: number, maxTokens = 1000): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are a developer.',
    messages: [{ role: 'user', content: `Write the endpoint.${' word'.repeat(words)}` }],
    tools: [{ name: 'read_file', description: 'Reads a file.', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } }],
    maxTokens,
    metadata: { agentId: 'a', role: 'backend_developer', purpose: 'work' },
  };
}

// The guard's store is never touched by `hold`; any call to it is a failure.
const unusedStore: BudgetStore = {
  read: () => Promise.reject(new Error('hold must not read the book')),
  update: () => Promise.reject(new Error('hold must not write the book')),
};
const unusedChanges: BudgetChanges = { version: 0, wait: () => Promise.resolve(), notify: () => undefined };

function guardWith(margins = new InputMargins()): BudgetGuard {
  return new BudgetGuard({ agentId: 'a', store: unusedStore, changes: unusedChanges, margins });
}

describe('BudgetGuard.hold', () => {
  it("holds a counting vendor's own count (with its 2% margin), all at the dearest input price, plus the whole max output", async () => {
    const request = requestOf(200);
    const seen: { request: LlmRequest; signal: AbortSignal | undefined }[] = [];
    const signal = new AbortController().signal;
    const hold = await guardWith().hold({
      request,
      price: PRICE,
      simulated: false,
      key: KEY,
      signal,
      counter: async (counted, countSignal) => {
        seen.push({ request: counted, signal: countSignal });
        return 5000;
      },
    });
    expect(seen).toEqual([{ request, signal }]);
    expect(hold).toMatchObject({ basis: 'count', counted: 5000, inputTokens: 5100, outputTokens: 1000, tokens: 6100 });
    expect(hold.usd).toBeCloseTo((5100 * 2.5 + 1000 * 10) / 1e6, 15);
  });

  it('holds at least what a vendor reported over its own count before', async () => {
    const guard = guardWith();
    const request = requestOf(200);
    const first = await guard.hold({ request, price: PRICE, simulated: false, key: KEY, counter: async () => 1000 });
    guard.observe({ key: KEY, hold: first, reportedInput: 1100 });
    const second = await guard.hold({ request, price: PRICE, simulated: false, key: KEY, counter: async () => 2000 });
    expect(second.inputTokens).toBe(Math.ceil(2000 * 1.1 * 1.02));
  });

  it('without a counter holds our estimate (tools included) times 1.25 plus 64 before anything is observed', async () => {
    const request = requestOf(300);
    const estimate = tokenEstimateOf(request, true);
    expect(estimate).toBeGreaterThan(tokenEstimateOf(request, false));
    const hold = await guardWith().hold({ request, price: PRICE, simulated: false, key: KEY });
    expect(hold).toMatchObject({ basis: 'estimate', estimate, counted: null, inputTokens: Math.ceil(estimate * 1.25) + 64 });
  });

  it('counts every answer schema an agent offers on each call, not only the one this call answers with', () => {
    const schema = (word: string): Record<string, unknown> => ({
      type: 'object',
      properties: { [word]: { type: 'string', description: word.repeat(40) } },
    });
    const base = { ...requestOf(100), responseName: 'plan', responseJsonSchema: schema('plan') };
    const offered = {
      ...base,
      answerSchemas: [
        { name: 'plan', schema: schema('plan') },
        { name: 'summary', schema: schema('summary') },
      ],
    };
    const single = tokenEstimateOf(base, true);
    const both = tokenEstimateOf(offered, true);
    // The plan schema is counted once, and the summary schema on top of it.
    expect(both - single).toBe(
      tokenEstimateOf({ ...requestOf(100), responseJsonSchema: schema('summary') }, true) - tokenEstimateOf(requestOf(100), true),
    );
  });

  it('learns the highest reported/estimate ratio per provider and model, so a vendor that counts more is held enough from then on', async () => {
    const guard = guardWith();
    // A vendor whose tokenizer counts 2.4 times ours, plus 10 tokens of framing.
    const vendor = (estimate: number): number => Math.ceil(estimate * 2.4) + 10;
    const outcomes: boolean[] = [];
    for (const words of [400, 1500, 30, 800, 4000]) {
      const request = requestOf(words, 500);
      const hold = await guard.hold({ request, price: PRICE, simulated: false, key: KEY });
      const reportedInput = vendor(hold.estimate);
      const reported = { tokens: reportedInput + 500, usd: (reportedInput * PRICE.input + 500 * PRICE.output) / 1e6 };
      outcomes.push(overshootOf(hold, reported) === null);
      guard.observe({ key: KEY, hold, reportedInput });
    }
    // Only the first call, before anything was observed, went past its hold.
    expect(outcomes).toEqual([false, true, true, true, true]);
    // Another model of the same vendor has shown nothing yet: the fixed margin.
    const other = await guard.hold({ request: requestOf(400), price: PRICE, simulated: false, key: 'vendor:model-b' });
    expect(other.inputTokens).toBe(Math.ceil(other.estimate * 1.25) + 64);
  });

  it('never holds less than the fixed margin, however little a vendor reported', async () => {
    const guard = guardWith();
    const request = requestOf(500);
    const first = await guard.hold({ request, price: PRICE, simulated: false, key: KEY });
    guard.observe({ key: KEY, hold: first, reportedInput: Math.floor(first.estimate / 2) });
    const second = await guard.hold({ request, price: PRICE, simulated: false, key: KEY });
    expect(second.inputTokens).toBe(first.inputTokens);
  });

  it('shares what it learned with every guard given the same margins (one run, many agents)', async () => {
    const margins = new InputMargins();
    const request = requestOf(500);
    const first = await guardWith(margins).hold({ request, price: PRICE, simulated: false, key: KEY });
    guardWith(margins).observe({ key: KEY, hold: first, reportedInput: first.estimate * 3 + 64 });
    const later = await guardWith(margins).hold({ request, price: PRICE, simulated: false, key: KEY });
    expect(later.inputTokens).toBe(Math.ceil(first.estimate * 3 * 1.05) + 64);
  });

  it('falls back to the learned margin when the count fails', async () => {
    const request = requestOf(200);
    const hold = await guardWith().hold({
      request,
      price: PRICE,
      simulated: false,
      key: KEY,
      counter: () => Promise.reject(new Error('count_tokens: 429')),
    });
    expect(hold).toMatchObject({ basis: 'estimate', counted: null, inputTokens: Math.ceil(hold.estimate * 1.25) + 64 });
  });

  it('stops asking a vendor whose count failed for good (no such endpoint), but asks again after a passing failure', async () => {
    const guard = guardWith();
    const asked: string[] = [];
    const failing =
      (retryable: boolean) =>
      (request: LlmRequest): Promise<number> => {
        asked.push(`${request.model}:${retryable}`);
        return Promise.reject(new ProviderError({ provider: 'anthropic', message: retryable ? 'overloaded' : 'not found', retryable }));
      };
    const hold = (key: string, retryable: boolean) =>
      guard.hold({ request: requestOf(100), price: PRICE, simulated: false, key, counter: failing(retryable) });
    await hold('vendor:model-a', true);
    await hold('vendor:model-a', true);
    await hold('vendor:model-b', false);
    const last = await hold('vendor:model-b', false);
    expect(asked).toEqual(['claude-sonnet-5:true', 'claude-sonnet-5:true', 'claude-sonnet-5:false']);
    expect(last.basis).toBe('estimate');
  });

  it('stops with the abort reason when the call is cancelled while counting', async () => {
    const abort = new AbortController();
    const reason = new Error('cancelled');
    const holding = guardWith().hold({
      request: requestOf(200),
      price: PRICE,
      simulated: false,
      key: KEY,
      signal: abort.signal,
      counter: (_request, signal) =>
        new Promise<number>((_resolve, reject) =>
          signal?.addEventListener('abort', () => reject(new Error('socket closed')), { once: true }),
        ),
    });
    abort.abort(reason);
    await expect(holding).rejects.toBe(reason);
  });

  it('holds a simulated call at its exact estimate, as before, and never asks a counter', async () => {
    const request = requestOf(200);
    let asked = 0;
    const hold = await guardWith().hold({
      request,
      price: PRICE,
      simulated: true,
      key: KEY,
      counter: async () => {
        asked += 1;
        return 1;
      },
    });
    expect(asked).toBe(0);
    const today = worstCaseOf({ request, price: PRICE, simulated: true });
    expect(hold).toMatchObject({ basis: 'simulated', tokens: today.tokens });
    expect(hold.usd).toBeCloseTo(today.usd, 15);
  });
});

describe('overshootOf', () => {
  const hold = { tokens: 1000, usd: 0.01 };

  it('is null when the report fits the hold exactly', () => {
    expect(overshootOf(hold, { tokens: 1000, usd: 0.01 })).toBeNull();
    expect(overshootOf(hold, { tokens: 10, usd: 0.001 })).toBeNull();
  });

  it('says by how much a report passes the hold, in tokens and USD', () => {
    expect(overshootOf(hold, { tokens: 1200, usd: 0.009 })).toEqual({ overTokens: 200, overUsd: 0 });
    const both = overshootOf(hold, { tokens: 1001, usd: 0.0125 });
    expect(both?.overTokens).toBe(1);
    expect(both?.overUsd).toBeCloseTo(0.0025, 15);
  });
});

describe('a call that reports more than it held', () => {
  it('is settled as reported: spend passes a limit the hold filled by exactly the overshoot, never hidden', () => {
    const book = newBudgetBook({ limitUsd: 0.02, limitTokens: 2000 });
    const held = { usd: 0.02, tokens: 2000 };
    expect(reserveBudget({ book, reservationId: 'r1', agentId: 'a', agentSpent: { usd: 0, tokens: 0 }, ...held })).toEqual({ ok: true });
    const reported = { usd: 0.023, tokens: 2300 };
    const over = overshootOf(held, reported);
    settleReservation({ book, reservationId: 'r1', ...reported });
    expect(book.spentUsd - 0.02).toBeCloseTo(over?.overUsd ?? 0, 15);
    expect(book.spentTokens - 2000).toBe(over?.overTokens);
    expect(book.reservations).toEqual({});
  });
});
