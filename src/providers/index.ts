export * from './seeded-random.js';
export * from './sim.js';
export * from './sim-context.js';
export * from './sim-plan.js';
export * from './sleep.js';
export * from './tokenizer.js';
export * from './types.js';
export * from './create-provider.js';
