/** Limits and running totals, as kept in the team state (null: no limit). */
export interface BudgetBook {
  limitUsd: number | null;
  limitTokens: number | null;
  perAgentUsd: number | null;
  perAgentTokens: number | null;
  spentUsd: number;
  spentTokens: number;
  reservedUsd: number;
  reservedTokens: number;
  reservations: Record<string, { agentId: string; usd: number; tokens: number }>;
}

/** The limits a budget book starts with; null means no limit. */
export type BudgetLimits = Pick<BudgetBook, 'limitUsd' | 'limitTokens' | 'perAgentUsd' | 'perAgentTokens'>;

/** A budget book with nothing spent or reserved yet; limits left out are unlimited. */
export function newBudgetBook(limits: Partial<BudgetLimits> = {}): BudgetBook {
  return {
    limitUsd: null,
    limitTokens: null,
    perAgentUsd: null,
    perAgentTokens: null,
    ...limits,
    spentUsd: 0,
    spentTokens: 0,
    reservedUsd: 0,
    reservedTokens: 0,
    reservations: {},
  };
}

/** What one agent has spent so far. */
export interface AgentSpend {
  usd: number;
  tokens: number;
}

/** The outcome of asking for room for a call. */
export type ReserveOutcome =
  | { ok: true }
  | {
      ok: false;
      limit: string;
      detail: string;
      /** True when the limit is the agent's own, not the run's. */
      perAgent: boolean;
      /** True when calls hold reservations whose settling may free room under this limit. */
      othersPending: boolean;
    };

// Float sums of many small costs drift; compare with a tolerance far below a cent.
const EPSILON = 1e-9;

function agentReserved(book: BudgetBook, agentId: string): AgentSpend {
  let usd = 0;
  let tokens = 0;
  for (const reservation of Object.values(book.reservations)) {
    if (reservation.agentId !== agentId) continue;
    usd += reservation.usd;
    tokens += reservation.tokens;
  }
  return { usd, tokens };
}

/**
 * Reserves a call's worst case (input estimate + max output) if it fits under every
 * limit counting what is spent and what other calls hold. Mutates `book` only on success.
 */
export function reserveBudget(input: {
  book: BudgetBook;
  reservationId: string;
  agentId: string;
  agentSpent: AgentSpend;
  usd: number;
  tokens: number;
}): ReserveOutcome {
  const { book, agentId, usd, tokens } = input;
  const mine = agentReserved(book, agentId);
  const anyPending = Object.keys(book.reservations).length > 0;
  const minePending = Object.values(book.reservations).some((reservation) => reservation.agentId === agentId);
  // [limit, cap, committed, wanted, per agent, whether settling holds could free room under it]
  const checks: [string, number | null, number, number, boolean, boolean][] = [
    ['run USD', book.limitUsd, book.spentUsd + book.reservedUsd, usd, false, anyPending],
    ['run tokens', book.limitTokens, book.spentTokens + book.reservedTokens, tokens, false, anyPending],
    [`agent ${agentId} USD`, book.perAgentUsd, input.agentSpent.usd + mine.usd, usd, true, minePending],
    [`agent ${agentId} tokens`, book.perAgentTokens, input.agentSpent.tokens + mine.tokens, tokens, true, minePending],
  ];
  for (const [limit, cap, committed, wanted, perAgent, othersPending] of checks) {
    if (cap !== null && committed + wanted > cap + EPSILON) {
      const unit = limit.endsWith('USD') ? (value: number) => `$${value.toFixed(4)}` : (value: number) => `${value}`;
      return {
        ok: false,
        limit,
        detail: `a call needing up to ${unit(wanted)} does not fit: ${unit(committed)} of ${unit(cap)} spent or reserved`,
        perAgent,
        othersPending,
      };
    }
  }
  book.reservations[input.reservationId] = { agentId, usd, tokens };
  book.reservedUsd += usd;
  book.reservedTokens += tokens;
  return { ok: true };
}

/** Drops a reservation (the call failed or was never made). */
export function releaseReservation(book: BudgetBook, reservationId: string): void {
  const reservation = book.reservations[reservationId];
  if (reservation === undefined) return;
  delete book.reservations[reservationId];
  // With nothing held the totals are exactly zero, not the residue of float subtractions.
  const none = Object.keys(book.reservations).length === 0;
  book.reservedUsd = none ? 0 : Math.max(0, book.reservedUsd - reservation.usd);
  book.reservedTokens = none ? 0 : Math.max(0, book.reservedTokens - reservation.tokens);
}

/** Replaces a reservation by the call's real spend. */
export function settleReservation(input: { book: BudgetBook; reservationId: string; usd: number; tokens: number }): void {
  releaseReservation(input.book, input.reservationId);
  input.book.spentUsd += input.usd;
  input.book.spentTokens += input.tokens;
}

/** Drops every reservation `agentId` holds (its process died: those calls will never be settled). Returns how many. */
export function releaseAgentReservations(book: BudgetBook, agentId: string): number {
  const held = Object.entries(book.reservations).filter(([, reservation]) => reservation.agentId === agentId);
  for (const [reservationId] of held) releaseReservation(book, reservationId);
  return held.length;
}
