export { type BudgetBook, releaseReservation, reserveBudget, type ReserveOutcome, settleReservation } from './budget-guard.js';
export { pickModel } from './model-tier.js';
export { costOf, DEFAULT_PRICES, type ModelPrice, priceOf, priceTable, UnknownModelPriceError } from './prices.js';
