export * from './budget-guard.js';
export * from './model-tier.js';
export * from './prices.js';
