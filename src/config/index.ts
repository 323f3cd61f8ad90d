export { pickModelForRole } from './agents-config.js';
export { configJsonSchema, type SchemaTarget } from './json-schema.js';
export {
  loadTeamConfig,
  parseAgentsConfig,
  parseOrchestratorConfig,
  type ResolvedAgent,
  type TeamConfig,
  withDesign,
} from './load-config.js';
export type { GateConfig } from './orchestrator-config.js';
export { builtInPaths, packageRoot } from './package-paths.js';
export type { ProvidersConfig } from './providers-config.js';
export { parseStoreLocation, STORE_ENV, type StoreLocation, storeValue, TEAM_PARAMETER } from './store-location.js';
export {
  applyOrchestratorOverrides,
  applyTierOverrides,
  type DesignOverrides,
  mergeDeep,
  readDesignFile,
  rosterFileSchema,
  type SourcedValue,
  tierFileSchema,
} from './design-overrides.js';
