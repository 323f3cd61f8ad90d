import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type BudgetBook, releaseReservation, reserveBudget, settleReservation } from '../../src/cost/budget-book.js';
import { newBudgetBook } from '../../src/cost/index.js';
import { BudgetExceededError } from '../../src/errors/index.js';
import { countTokens, type LlmRequest } from '../../src/providers/index.js';
import { SeededRandom } from '../../src/providers/seeded-random.js';
import { ModelCaller } from '../../src/team/agents/model-caller.js';
import { createScriptedProvider } from '../support/scripted-provider.js';
import { createTeamFixture, DEFAULT_ROSTER, eventsOf, readTeamLedger } from '../support/team-fixture.js';

// Loading the tokenizer's ranks takes a second or more: once per file, outside any test's time.
beforeAll(() => {
  countTokens('warm up');
});
// Real files and locks: generous caps for loaded CI machines (the tests take well under a second each).
vi.setConfig({ testTimeout: 15_000 });

const TOLERANCE = 1e-9;

const nobody = { usd: 0, tokens: 0 };

describe('reserveBudget (edge cases)', () => {
  it('leaves the reserved totals at exactly zero once every hold is settled, whatever the float order', () => {
    const ledger = newBudgetBook({ limitUsd: 10 });
    const holds = [0.1, 0.2, 0.3, 0.7, 0.000123];
    holds.forEach((usd, index) => {
      reserveBudget({ book: ledger, reservationId: `r${index}`, agentId: 'a', agentSpent: { usd: 0, tokens: 0 }, usd, tokens: 7 });
    });
    for (const index of [3, 0, 4, 2, 1]) settleReservation({ book: ledger, reservationId: `r${index}`, usd: 0.01, tokens: 1 });
    expect(ledger.reservedUsd).toBe(0);
    expect(ledger.reservedTokens).toBe(0);
  });

  it('allows a call that fits exactly, in USD and in tokens', () => {
    const ledger = newBudgetBook({ limitUsd: 1, limitTokens: 1000 });
    expect(reserveBudget({ book: ledger, reservationId: 'r1', agentId: 'a', agentSpent: nobody, usd: 1, tokens: 1000 })).toEqual({
      ok: true,
    });
    expect(ledger).toMatchObject({ reservedUsd: 1, reservedTokens: 1000, reservations: { r1: { agentId: 'a', usd: 1, tokens: 1000 } } });
  });

  it('allows an exact fit that float addition overshoots by an ulp (0.1 + 0.2 of 0.3)', () => {
    const ledger = newBudgetBook({ limitUsd: 0.3 });
    ledger.spentUsd = 0.1;
    expect(reserveBudget({ book: ledger, reservationId: 'r1', agentId: 'a', agentSpent: nobody, usd: 0.2, tokens: 0 }).ok).toBe(true);
  });

  it('refuses one token over, without touching the book', () => {
    const ledger = newBudgetBook({ limitTokens: 1000 });
    ledger.spentTokens = 500;
    const before = structuredClone(ledger);
    const outcome = reserveBudget({ book: ledger, reservationId: 'r1', agentId: 'a', agentSpent: nobody, usd: 0, tokens: 501 });
    expect(outcome).toMatchObject({ ok: false, limit: 'run tokens', othersPending: false });
    expect(outcome.ok === false && outcome.detail).toContain('501');
    expect(ledger).toEqual(before);
  });

  it('frees room on release, and says while others hold reservations that waiting may help', () => {
    const ledger = newBudgetBook({ limitUsd: 1 });
    expect(reserveBudget({ book: ledger, reservationId: 'r1', agentId: 'a', agentSpent: nobody, usd: 0.6, tokens: 10 }).ok).toBe(true);
    expect(reserveBudget({ book: ledger, reservationId: 'r2', agentId: 'b', agentSpent: nobody, usd: 0.6, tokens: 10 })).toMatchObject({
      ok: false,
      limit: 'run USD',
      othersPending: true,
    });
    releaseReservation(ledger, 'r1');
    expect(ledger).toMatchObject({ reservedUsd: 0, reservedTokens: 0, reservations: {} });
    expect(reserveBudget({ book: ledger, reservationId: 'r2', agentId: 'b', agentSpent: nobody, usd: 0.6, tokens: 10 }).ok).toBe(true);
  });

  it('settles a reservation at the real spend, which frees the difference', () => {
    const ledger = newBudgetBook({ limitUsd: 1, limitTokens: 1000 });
    reserveBudget({ book: ledger, reservationId: 'r1', agentId: 'a', agentSpent: nobody, usd: 0.8, tokens: 800 });
    settleReservation({ book: ledger, reservationId: 'r1', usd: 0.25, tokens: 300 });
    expect(ledger).toMatchObject({ spentUsd: 0.25, spentTokens: 300, reservedUsd: 0, reservedTokens: 0, reservations: {} });
    expect(reserveBudget({ book: ledger, reservationId: 'r2', agentId: 'a', agentSpent: nobody, usd: 0.75, tokens: 700 }).ok).toBe(true);
  });

  it("counts an agent's own spend and reservations against its per-agent limit, not other agents'", () => {
    const ledger = newBudgetBook({ perAgentUsd: 1 });
    expect(
      reserveBudget({ book: ledger, reservationId: 'r1', agentId: 'a', agentSpent: { usd: 0.5, tokens: 0 }, usd: 0.4, tokens: 0 }).ok,
    ).toBe(true);
    expect(reserveBudget({ book: ledger, reservationId: 'r2', agentId: 'b', agentSpent: nobody, usd: 0.9, tokens: 0 }).ok).toBe(true);
    expect(
      reserveBudget({ book: ledger, reservationId: 'r3', agentId: 'a', agentSpent: { usd: 0.5, tokens: 0 }, usd: 0.2, tokens: 0 }),
    ).toMatchObject({
      ok: false,
      limit: 'agent a USD',
    });
  });

  it('ignores the release of an unknown reservation', () => {
    const ledger = newBudgetBook({ limitUsd: 1 });
    reserveBudget({ book: ledger, reservationId: 'r1', agentId: 'a', agentSpent: nobody, usd: 0.5, tokens: 5 });
    releaseReservation(ledger, 'nope');
    expect(ledger.reservedUsd).toBe(0.5);
  });
});

/** Limits drawn at random: each may be absent (null). */
function randomLimits(random: SeededRandom): Pick<BudgetBook, 'limitUsd' | 'limitTokens' | 'perAgentUsd' | 'perAgentTokens'> {
  const maybe = (value: number): number | null => (random.next() < 0.2 ? null : value);
  return {
    limitUsd: maybe(0.01 + random.next() * 2),
    limitTokens: maybe(random.int(1_000, 200_000)),
    perAgentUsd: maybe(0.005 + random.next()),
    perAgentTokens: maybe(random.int(500, 100_000)),
  };
}

type Open = ReadonlyMap<string, { agentId: string; usd: number; tokens: number }>;

/** The first broken invariant of the book, from the reservations the test knows are open. */
function violation(input: {
  ledger: BudgetBook;
  open: Open;
  spent: ReadonlyMap<string, { usd: number; tokens: number }>;
  agents: readonly string[];
}): string | undefined {
  const { ledger, open } = input;
  const reservations = [...open.values()];
  const reservedUsd = reservations.reduce((sum, reservation) => sum + reservation.usd, 0);
  const reservedTokens = reservations.reduce((sum, reservation) => sum + reservation.tokens, 0);
  if (Math.abs(ledger.reservedUsd - reservedUsd) > TOLERANCE)
    return `reservedUsd ${ledger.reservedUsd}, open reservations hold ${reservedUsd}`;
  if (ledger.reservedTokens !== reservedTokens) return `reservedTokens ${ledger.reservedTokens}, open reservations hold ${reservedTokens}`;
  if (Object.keys(ledger.reservations).length !== open.size)
    return `${Object.keys(ledger.reservations).length} reservations in the book, ${open.size} open`;
  if (ledger.limitUsd !== null && ledger.spentUsd + reservedUsd > ledger.limitUsd + TOLERANCE) {
    return `run USD: ${ledger.spentUsd} spent + ${reservedUsd} reserved > ${ledger.limitUsd}`;
  }
  if (ledger.limitTokens !== null && ledger.spentTokens + reservedTokens > ledger.limitTokens) {
    return `run tokens: ${ledger.spentTokens} spent + ${reservedTokens} reserved > ${ledger.limitTokens}`;
  }
  for (const agentId of input.agents) {
    const own = reservations.filter((reservation) => reservation.agentId === agentId);
    const spent = input.spent.get(agentId) ?? { usd: 0, tokens: 0 };
    const usd = spent.usd + own.reduce((sum, reservation) => sum + reservation.usd, 0);
    const tokens = spent.tokens + own.reduce((sum, reservation) => sum + reservation.tokens, 0);
    if (ledger.perAgentUsd !== null && usd > ledger.perAgentUsd + TOLERANCE) return `${agentId} USD: ${usd} > ${ledger.perAgentUsd}`;
    if (ledger.perAgentTokens !== null && tokens > ledger.perAgentTokens) return `${agentId} tokens: ${tokens} > ${ledger.perAgentTokens}`;
  }
  return undefined;
}

describe('reserveBudget (property: concurrent agents never exceed a limit)', () => {
  it('keeps spent + reserved within every run and per-agent limit after every step, over many seeds', () => {
    let steps = 0;
    let refusals = 0;
    let settles = 0;
    for (let seed = 1; seed <= 300; seed += 1) {
      const random = new SeededRandom(seed);
      const ledger = newBudgetBook(randomLimits(random));
      const agents = Array.from({ length: random.int(2, 12) }, (_, index) => `agent-${index}`);
      const spent = new Map(agents.map((id) => [id, { usd: 0, tokens: 0 }]));
      const open = new Map<string, { agentId: string; usd: number; tokens: number }>();
      let nextId = 0;
      const scale = ledger.limitUsd ?? 1;
      for (let step = 0; step < 40; step += 1) {
        steps += 1;
        const agentId = random.pick(agents);
        const mine = [...open.entries()].filter(([, reservation]) => reservation.agentId === agentId);
        const agentSpend = spent.get(agentId) ?? { usd: 0, tokens: 0 };
        if (mine.length > 0 && random.next() < 0.6) {
          // One of this agent's calls ends: mostly settled at a real usage up to the worst case, sometimes failed.
          const [reservationId, reservation] = random.pick(mine);
          open.delete(reservationId);
          if (random.next() < 0.15) {
            releaseReservation(ledger, reservationId);
          } else {
            const usd = reservation.usd * random.next();
            const tokens = random.int(0, reservation.tokens);
            settleReservation({ book: ledger, reservationId, usd, tokens });
            agentSpend.usd += usd;
            agentSpend.tokens += tokens;
            settles += 1;
          }
        } else {
          const reservationId = `r${nextId++}`;
          const usd = random.next() * scale * 0.4;
          const tokens = random.int(1, 40_000);
          const before = JSON.stringify(ledger);
          const committedByAgent = [...open.values()]
            .filter((reservation) => reservation.agentId === agentId)
            .reduce((sum, reservation) => ({ usd: sum.usd + reservation.usd, tokens: sum.tokens + reservation.tokens }), {
              usd: 0,
              tokens: 0,
            });
          const fits = (cap: number | null, committed: number, wanted: number): boolean =>
            cap === null || committed + wanted <= cap + TOLERANCE;
          const shouldFit =
            fits(ledger.limitUsd, ledger.spentUsd + ledger.reservedUsd, usd) &&
            fits(ledger.limitTokens, ledger.spentTokens + ledger.reservedTokens, tokens) &&
            fits(ledger.perAgentUsd, agentSpend.usd + committedByAgent.usd, usd) &&
            fits(ledger.perAgentTokens, agentSpend.tokens + committedByAgent.tokens, tokens);
          const outcome = reserveBudget({ book: ledger, reservationId, agentId, agentSpent: { ...agentSpend }, usd, tokens });
          if (outcome.ok !== shouldFit)
            expect.fail(`seed ${seed} step ${step}: reserve answered ${outcome.ok}, the limits say ${shouldFit}`);
          if (outcome.ok) {
            open.set(reservationId, { agentId, usd, tokens });
          } else {
            refusals += 1;
            if (JSON.stringify(ledger) !== before) expect.fail(`seed ${seed} step ${step}: a refusal changed the book`);
            // Waiting can only help under a run limit while anyone holds budget, under an agent limit while that agent does.
            const couldFree = outcome.perAgent ? mine.length > 0 : open.size > 0;
            if (outcome.othersPending !== couldFree)
              expect.fail(
                `seed ${seed} step ${step}: othersPending ${outcome.othersPending} with ${open.size} open (${mine.length} mine, per agent ${outcome.perAgent})`,
              );
          }
        }

        const problem = violation({ ledger, open, spent, agents });
        if (problem !== undefined) expect.fail(`seed ${seed} step ${step}: ${problem}`);
      }
    }
    expect(steps).toBeGreaterThanOrEqual(10_000);
    // The draws exercise both outcomes and the settle path, not just one of them.
    expect(refusals).toBeGreaterThan(steps / 20);
    expect(settles).toBeGreaterThan(steps / 10);
  });
});

const WORKERS = Array.from({ length: 20 }, (_, index) => `dev-${String(index + 1).padStart(2, '0')}`);

function request(agentId: string): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are a developer on a team that shares one budget.',
    messages: [{ role: 'user', content: `Do the work of ${agentId}.` }],
    maxTokens: 2000,
    metadata: { agentId, role: 'backend_developer', purpose: 'work', taskId: `task-${agentId}` },
  };
}

function estimateOf(value: LlmRequest): number {
  return countTokens(value.system) + value.messages.reduce((sum, message) => sum + countTokens(message.content) + 4, 0);
}

describe('ModelCaller budget under concurrency (real FileStore)', () => {
  it('lets 20 racing callers spend at most the USD limit, refusing the calls that do not fit', async () => {
    const random = new SeededRandom(20);
    const provider = createScriptedProvider();
    const worstUsd = (estimateOf(request('dev-01')) * 2.5 + 2000 * 10) / 1e6;
    const limitUsd = worstUsd * 3.5;
    const fixture = await createTeamFixture({
      provider,
      budgetUsd: limitUsd,
      orchestrator: { agents: [DEFAULT_ROSTER[0], ...WORKERS.map((id) => ({ id, role: 'backend_developer' }))] },
    });
    try {
      const seen: { spentUsd: number; reservedUsd: number }[] = [];
      for (const agentId of WORKERS) {
        provider.enqueueFor(
          { agentId },
          {
            respond: async (call) => {
              // Every call in flight sees the book within the limit, its own reservation included.
              const { budget } = await fixture.store.read();
              seen.push({ spentUsd: budget.spentUsd, reservedUsd: budget.reservedUsd });
              // Real usage, bounded by the reservation: input up to the estimate, output up to maxTokens (at least half).
              const estimate = estimateOf(call);
              const written = random.int(0, estimate);
              return {
                text: 'ok',
                usage: {
                  inputTokens: estimate - written,
                  cacheWriteTokens: written,
                  cacheReadTokens: 0,
                  outputTokens: random.int(call.maxTokens / 2, call.maxTokens),
                },
              };
            },
          },
        );
      }
      const results = await Promise.allSettled(WORKERS.map((agentId) => new ModelCaller(fixture.context, agentId).call(request(agentId))));

      const made = results.filter((result) => result.status === 'fulfilled');
      const refused = results.filter((result) => result.status === 'rejected');
      for (const result of refused) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(BudgetExceededError);
      expect(made.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(provider.calls).toHaveLength(made.length);

      const state = await fixture.store.read();
      expect(state.run.status).toBe('budget_exceeded');
      expect(state.budget.spentUsd).toBeLessThanOrEqual(limitUsd + TOLERANCE);
      expect(state.budget.reservedUsd).toBe(0);
      expect(state.budget.reservations).toEqual({});
      for (const view of seen) expect(view.spentUsd + view.reservedUsd).toBeLessThanOrEqual(limitUsd + TOLERANCE);

      // The ledger agrees with the book, call by call: the running sum never passed the limit.
      const calls = eventsOf(await readTeamLedger(fixture), 'model-call');
      expect(calls).toHaveLength(made.length);
      let running = 0;
      for (const call of calls) {
        running += call.costUsd;
        expect(running).toBeLessThanOrEqual(limitUsd + TOLERANCE);
      }
      expect(running).toBeCloseTo(state.budget.spentUsd, 12);
    } finally {
      await fixture.cleanup();
    }
  });
});
