/**
 * BudgetGuard's loop on a fake store and a fake change signal: reserve, wait for
 * room, stop, release. No clock: waiting is a promise the test resolves by a change.
 */
import { describe, expect, it } from 'vitest';
import type { BudgetBook } from '../../src/cost/budget-book.js';
import type { BudgetChanges, BudgetRefusal } from '../../src/cost/budget-guard.js';
import { BudgetGuard, newBudgetBook, type BudgetSnapshot, type BudgetStore, worstCaseOf } from '../../src/cost/index.js';
import { BudgetExceededError } from '../../src/errors/index.js';
import type { LlmRequest } from '../../src/providers/index.js';

interface FakeBudget {
  store: BudgetStore;
  changes: BudgetChanges & { readonly waiting: number; readonly notified: number; readonly timeouts: number[] };
  book: BudgetBook;
  writes: number;
  refusals: BudgetRefusal[];
  exhausted: boolean;
}

/** An in-memory budget: snapshots are copies, updates change the live book; waiting lasts until the next notify. */
function fakeBudget(limits: Partial<BudgetBook>, spent: Record<string, number> = {}): FakeBudget {
  const waiters: (() => void)[] = [];
  const timeouts: number[] = [];
  let version = 0;
  let notified = 0;
  const fake: FakeBudget = {
    book: { ...newBudgetBook(), ...limits },
    writes: 0,
    refusals: [],
    exhausted: false,
    store: {
      read: async () => snapshot(structuredClone(fake.book)),
      update: async (fn) => {
        fake.writes += 1;
        return fn({ ...snapshot(fake.book), block: (refusal) => fake.refusals.push(refusal) });
      },
    },
    changes: {
      get version() {
        return version;
      },
      get waiting() {
        return waiters.length;
      },
      get notified() {
        return notified;
      },
      timeouts,
      wait: ({ sinceVersion, timeoutMs, signal }) => {
        timeouts.push(timeoutMs);
        if (sinceVersion !== version || signal?.aborted === true) return Promise.resolve();
        return new Promise<void>((resolve) => {
          waiters.push(resolve);
          signal?.addEventListener('abort', () => resolve(), { once: true });
        });
      },
      notify: () => {
        version += 1;
        notified += 1;
        for (const wake of waiters.splice(0)) wake();
      },
    },
  };
  // The agent's spend is fixed per test; the book is the one thing that changes.
  const snapshot = (book: BudgetBook): BudgetSnapshot => ({
    runId: 'run-1',
    book,
    agentSpent: { usd: spent['usd'] ?? 0, tokens: spent['tokens'] ?? 0 },
    exhausted: fake.exhausted,
  });
  return fake;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('BudgetGuard', () => {
  it('reserves a call that fits in one write, and says the book changed', async () => {
    const fake = fakeBudget({ limitUsd: 1 });
    const guard = new BudgetGuard({ agentId: 'a', store: fake.store, changes: fake.changes });
    expect(await guard.limited()).toBe(true);
    await guard.reserve({ reservationId: 'r1', worst: { usd: 0.4, tokens: 100 } });
    expect(fake.book).toMatchObject({ reservedUsd: 0.4, reservedTokens: 100, reservations: { r1: { agentId: 'a' } } });
    expect(fake.writes).toBe(1);
    expect(fake.changes.notified).toBe(1);
  });

  it('is not limited without any limit', async () => {
    const fake = fakeBudget({});
    expect(await new BudgetGuard({ agentId: 'a', store: fake.store, changes: fake.changes }).limited()).toBe(false);
  });

  it('waits without writing while another call holds the room, and reserves once it settles', async () => {
    const fake = fakeBudget({ limitUsd: 1 });
    const first = new BudgetGuard({ agentId: 'a', store: fake.store, changes: fake.changes, recheckMs: 250 });
    const second = new BudgetGuard({ agentId: 'b', store: fake.store, changes: fake.changes, recheckMs: 250 });
    await first.reserve({ reservationId: 'r1', worst: { usd: 0.7, tokens: 0 } });
    const writesBefore = fake.writes;
    let reserved = false;
    const waiting = second.reserve({ reservationId: 'r2', worst: { usd: 0.7, tokens: 0 } }).then(() => {
      reserved = true;
    });
    await until(() => fake.changes.waiting === 1);
    expect(fake.writes).toBe(writesBefore);
    expect(fake.changes.timeouts.at(-1)).toBe(250);
    expect(reserved).toBe(false);
    // The first call spent less than it held: its settlement makes room.
    await fake.store.update((budget) => first.settle(budget.book, { reservationId: 'r1', usd: 0.2, tokens: 0 }));
    fake.changes.notify();
    await waiting;
    expect(fake.book).toMatchObject({ spentUsd: 0.2, reservedUsd: 0.7, reservations: { r2: { agentId: 'b' } } });
    expect(fake.refusals).toEqual([]);
  });

  it('wakes a waiter when a failed call releases its reservation', async () => {
    const fake = fakeBudget({ limitTokens: 1000 });
    const first = new BudgetGuard({ agentId: 'a', store: fake.store, changes: fake.changes });
    const second = new BudgetGuard({ agentId: 'b', store: fake.store, changes: fake.changes });
    await first.reserve({ reservationId: 'r1', worst: { usd: 0, tokens: 800 } });
    const waiting = second.reserve({ reservationId: 'r2', worst: { usd: 0, tokens: 800 } });
    await until(() => fake.changes.waiting === 1);
    await first.release('r1');
    await waiting;
    expect(Object.keys(fake.book.reservations)).toEqual(['r2']);
  });

  it('stops with BudgetExceededError when nothing held can free room, recording the refusal in the same write', async () => {
    const fake = fakeBudget({ limitUsd: 1, spentUsd: 0.9 });
    const guard = new BudgetGuard({ agentId: 'a', store: fake.store, changes: fake.changes });
    const failure = await guard.reserve({ reservationId: 'r1', worst: { usd: 0.2, tokens: 0 } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BudgetExceededError);
    expect(failure).toMatchObject({ runId: 'run-1', limit: 'run USD' });
    expect(fake.refusals).toEqual([expect.objectContaining({ limit: 'run USD', perAgent: false, othersPending: false })]);
    expect(fake.book.reservations).toEqual({});
    expect(fake.changes.waiting).toBe(0);
  });

  it("names an agent's own limit as such", async () => {
    const fake = fakeBudget({ perAgentTokens: 500 }, { tokens: 450 });
    const guard = new BudgetGuard({ agentId: 'a', store: fake.store, changes: fake.changes });
    await expect(guard.reserve({ reservationId: 'r1', worst: { usd: 0, tokens: 100 } })).rejects.toMatchObject({ limit: 'agent a tokens' });
    expect(fake.refusals).toEqual([expect.objectContaining({ perAgent: true })]);
  });

  it('lets nothing through once the run is out of budget, without recording another refusal', async () => {
    const fake = fakeBudget({ limitUsd: 100 });
    fake.exhausted = true;
    const guard = new BudgetGuard({ agentId: 'a', store: fake.store, changes: fake.changes });
    await expect(guard.reserve({ reservationId: 'r1', worst: { usd: 0.01, tokens: 1 } })).rejects.toMatchObject({ limit: 'run' });
    expect(fake.refusals).toEqual([]);
    expect(fake.book.reservations).toEqual({});
  });

  it('gives up waiting when the signal aborts', async () => {
    const fake = fakeBudget({ limitUsd: 1 });
    const holder = new BudgetGuard({ agentId: 'a', store: fake.store, changes: fake.changes });
    await holder.reserve({ reservationId: 'r1', worst: { usd: 1, tokens: 0 } });
    const abort = new AbortController();
    const waiting = new BudgetGuard({ agentId: 'b', store: fake.store, changes: fake.changes }).reserve({
      reservationId: 'r2',
      worst: { usd: 1, tokens: 0 },
      signal: abort.signal,
    });
    await until(() => fake.changes.waiting === 1);
    abort.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(Object.keys(fake.book.reservations)).toEqual(['r1']);
  });
});

describe('worstCaseOf', () => {
  const request: LlmRequest = {
    model: 'claude-sonnet-5',
    system: 'You are a developer.',
    messages: [{ role: 'user', content: 'Write the endpoint.' }],
    maxTokens: 1000,
    metadata: { agentId: 'a', role: 'backend_developer', purpose: 'work' },
  };
  const price = { input: 2, output: 10, cacheWrite: 2.5, cacheRead: 0.2 };

  it('holds every input token at the cache-write price plus the whole max output', () => {
    const simulated = worstCaseOf({ request, price, simulated: true });
    const estimate = simulated.tokens - 1000;
    expect(estimate).toBeGreaterThan(0);
    expect(simulated.usd).toBeCloseTo((estimate * 2.5 + 1000 * 10) / 1e6, 12);
  });

  it("adds a margin for a real vendor's tokenizer", () => {
    const simulated = worstCaseOf({ request, price, simulated: true });
    const real = worstCaseOf({ request, price, simulated: false });
    expect(real.tokens - 1000).toBe(Math.ceil((simulated.tokens - 1000) * 1.25) + 64);
  });
});
