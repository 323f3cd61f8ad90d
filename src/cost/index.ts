export {
  type BudgetBook,
  type BudgetLimits,
  newBudgetBook,
  releaseReservation,
  reserveBudget,
  settleReservation,
} from './budget-book.js';
export {
  type BudgetChanges,
  BudgetGuard,
  type BudgetRefusal,
  type BudgetSnapshot,
  type BudgetStore,
  worstCaseOf,
} from './budget-guard.js';
export { pickModel } from './model-tier.js';
export { costOf, DEFAULT_PRICES, type ModelPrice, priceOf, priceTable, UnknownModelPriceError } from './prices.js';
