export { newBudgetBook, releaseAgentReservations, settleReservation } from './budget-book.js';
export {
  BudgetGuard,
  type BudgetSnapshot,
  type BudgetStore,
  type Hold,
  type InputCounter,
  type Overshoot,
  overshootOf,
  worstCaseOf,
} from './budget-guard.js';
export { ESTIMATE_MARGIN, type HoldBasis, InputMargins } from './input-hold.js';
export {
  ContextWindowExceededError,
  contextEstimateOf,
  contextWindowOf,
  contextWindowTable,
  DEFAULT_CONTEXT_WINDOWS,
} from './context-window.js';
export { pickModel } from './model-tier.js';
export { costOf, DEFAULT_PRICES, type ModelPrice, priceOf, priceTable, UnknownModelPriceError } from './prices.js';
