export { newBudgetBook, releaseAgentReservations } from './budget-book.js';
export { BudgetGuard, type BudgetSnapshot, type BudgetStore, worstCaseOf } from './budget-guard.js';
export { pickModel } from './model-tier.js';
export { costOf, DEFAULT_PRICES, type ModelPrice, priceOf, priceTable, UnknownModelPriceError } from './prices.js';
