import type { StoreLocation } from '../../config/index.js';

/**
 * The command that continues an unfinished run, as the messages that stop one give it (`flags`: what to add to it,
 * e.g. " --budget-usd <more>"). A run in a database is reached only through its store: the command needs the same
 * `--store`, or AGENT_TEAM_STORE, as the run had (the URL itself is not repeated: it may hold a password).
 */
export function resumeCommand(store: StoreLocation['kind'], flags = ''): string {
  return `agent-team run --resume${flags}${store === 'postgres' ? ' with the same --store (or AGENT_TEAM_STORE)' : ''}`;
}
